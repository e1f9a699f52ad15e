/**
 * Every command, in the order `kcr --help` lists them, each loaded only when it runs. kcr starts
 * for every command, and loading all ~40 command modules (Kubernetes, registry, backup, zod
 * schemas) costs more than a memory search of a GiB; so the table holds each command's name and
 * how to load its module, and main.ts loads only the command on the command line. `--help` and
 * `completion` load them all; a mistyped command is suggested from the names here.
 *
 * To add a command: write `commands/<noun>.ts` exporting `registerX(program, ctx)`, and add one
 * line below, `command('noun', () => import('./noun.js'), 'registerX')`, with its aliases if any.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export type Register = (program: Command, ctx: CliContext) => void;

export interface CommandEntry {
  /** The command's name, then its aliases (`list`, `ls`): what a user may type. */
  names: readonly string[];
  /** Imports the command's module (and with it all it needs) and returns its register function. */
  load(): Promise<Register>;
  /** The command reads every other command (completion walks them all): load them with it. */
  needsAll?: boolean;
}

function command<K extends string, M extends Record<K, Register>>(
  names: string | readonly string[],
  load: () => Promise<M>,
  register: K,
  options: { needsAll?: boolean } = {},
): CommandEntry {
  return {
    names: typeof names === 'string' ? [names] : names,
    load: async () => (await load())[register],
    ...options,
  };
}

export const COMMANDS: readonly CommandEntry[] = [
  command('show', () => import('./show.js'), 'registerShow'),
  command('inspect', () => import('./inspect.js'), 'registerInspect'),
  command(['list', 'ls'], () => import('./list.js'), 'registerList'),
  command('rootfs', () => import('./rootfs-extract.js'), 'registerRootfsExtract'),
  command('mem', () => import('./mem.js'), 'registerMem'),
  command('diff', () => import('./diff.js'), 'registerDiff'),
  command('secrets', () => import('./secrets.js'), 'registerSecrets'),
  command('criu', () => import('./criu-decode.js'), 'registerCriuDecode'),
  command('image', () => import('./image.js'), 'registerImage'),
  command('checkpoint', () => import('./checkpoint.js'), 'registerCheckpoint'),
  command('restore', () => import('./restore.js'), 'registerRestore'),
  command('migrate', () => import('./migrate.js'), 'registerMigrate'),
  command('doctor', () => import('./doctor.js'), 'registerDoctor'),
  command('backup', () => import('./backup.js'), 'registerBackup'),
  command('backups', () => import('./backups.js'), 'registerBackups'),
  command('store', () => import('./store.js'), 'registerStore'),
  command('catalog', () => import('./catalog-sync.js'), 'registerCatalog'),
  command('prune', () => import('./prune.js'), 'registerPrune'),
  command('verify', () => import('./verify.js'), 'registerVerify'),
  command('install', () => import('./install.js'), 'registerInstall'),
  command('agent', () => import('./agent.js'), 'registerAgent'),
  command('controller', () => import('./controller.js'), 'registerController'),
  command('drain', () => import('./drain.js'), 'registerDrain'),
  command('ui', () => import('./ui.js'), 'registerUi'),
  command('setup', () => import('./setup.js'), 'registerSetup'),
  command('version', () => import('./version.js'), 'registerVersion'),
  command('completion', () => import('./completion.js'), 'registerCompletion', { needsAll: true }),
];
