/** `kcr inspect ARCHIVE`: forensic views of one checkpoint (checkpointctl's `inspect` flags accepted). */
import type { Command } from 'commander';
import { withCheckpoint } from '../../forensics/checkpoint.js';
import { inspect, INSPECT_VIEWS, type InspectView } from '../../forensics/inspect.js';
import type { CliContext } from '../context.js';
import { eachArchive, listOf } from '../each-archive.js';
import { choice, integer, outputFormat, positiveInt } from '../options.js';
import { toJson, toYaml } from '../output/format.js';
import { inspectionText } from '../output/inspect-printer.js';
import { tableWidth } from '../output/table.js';

const FORMATS = ['tree', 'json', 'yaml'] as const;

interface InspectFlags {
  psTree?: boolean;
  psTreeCmd?: boolean;
  psTreeEnv?: boolean;
  cmdline?: boolean;
  env?: boolean;
  files?: boolean;
  sockets?: boolean;
  mounts?: boolean;
  rootfs?: boolean;
  stats?: boolean;
  log?: boolean;
  all?: boolean;
  metadata?: boolean;
  pid?: number;
  showSecrets?: boolean;
  tail: number;
  output?: (typeof FORMATS)[number];
  format?: (typeof FORMATS)[number];
}

/** Flags → views. No view flag shows the process tree, as `checkpointctl inspect` does. */
export function selectedViews(f: InspectFlags): Set<InspectView> {
  if (f.all) return new Set(INSPECT_VIEWS);
  const views = new Set<InspectView>();
  if (f.psTree || f.psTreeCmd || f.psTreeEnv) views.add('processes');
  if (f.cmdline || f.psTreeCmd) views.add('cmdline');
  if (f.env || f.psTreeEnv) views.add('env');
  for (const v of ['files', 'sockets', 'mounts', 'rootfs', 'stats', 'log'] as const) if (f[v]) views.add(v);
  if (f.metadata) views.add('metadata');
  if (views.size === 0) views.add('processes');
  return views;
}

export function registerInspect(program: Command, ctx: CliContext): void {
  program
    .command('inspect')
    .description(
      'show what was running in a checkpoint: processes, command lines, environment, files, sockets, mounts, rootfs changes, statistics, log',
    )
    .argument(
      '<archive...>',
      'checkpoint archives (.tar, .tar.gz, .tar.zst) or extracted checkpoint directories',
    )
    .option('--ps-tree', 'process tree: PID, PPID, command, state, threads, uid')
    .option('--cmdline', 'command lines, read from the dumped memory')
    .option(
      '--env',
      'environment variables, read from the dumped memory, and the configured environment from spec.dump (secret values masked)',
    )
    .option('--files', 'open files per process')
    .option('--sockets', 'sockets: protocol, state, addresses, queues; unix peers')
    .option('--mounts', 'mounts, as the runtime and as CRIU saw them')
    .option('--rootfs', 'files added, changed and deleted in the container filesystem')
    .option('--stats', 'CRIU dump statistics (freeze time, pages written)')
    .option('--log', 'the tail of the container log')
    .option('--all', 'every view above')
    .option('--pid <pid>', 'only this process (PID in the container)', positiveInt('--pid'))
    .option('--show-secrets', 'do not mask secret-looking environment values')
    .option('--tail <lines>', 'log lines to show with --log (-1 for all)', integer('--tail'), 50)
    .option('-o, --output <format>', 'tree, json or yaml', outputFormat(FORMATS))
    .option('--format <format>', 'alias of --output (checkpointctl)', choice('--format', FORMATS))
    .option('--ps-tree-cmd', 'alias: --ps-tree --cmdline (checkpointctl)')
    .option('--ps-tree-env', 'alias: --ps-tree --env (checkpointctl)')
    .option('--metadata', "spec.dump's annotations and config.dump's fields (checkpointctl's Metadata)")
    .action(async (paths: string[], flags: InspectFlags) => {
      const options = {
        views: selectedViews(flags),
        pid: flags.pid,
        showSecrets: flags.showSecrets,
        logTail: flags.tail,
      };
      const results = (
        await eachArchive(ctx, paths, (path) =>
          withCheckpoint(path, (cp) => inspect(cp, options), ctx.archive),
        )
      ).map((r) => r.result);
      if (!ctx.quiet)
        for (const r of results) for (const w of r.warnings ?? []) ctx.io.stderr.write(`warning: ${w}\n`);
      const format = flags.output ?? flags.format ?? 'tree';
      // Views that could not be built: named on stderr in every format (JSON and YAML also carry
      // them in `errors`), so that exit 2 never comes without a word; exit 2.
      for (const r of results) {
        for (const e of r.errors ?? []) {
          const where = paths.length > 1 ? `${r.checkpoint.archive}: ` : '';
          if (!ctx.quiet) ctx.io.stderr.write(`warning: ${where}${e.view} not shown: ${e.message}\n`);
          ctx.exitCode = Math.max(ctx.exitCode, 2);
        }
      }
      // One archive gives one document; several give a List of them, even if only one could be read.
      const doc = paths.length === 1 ? results[0] : listOf(results);
      if (format === 'json') ctx.io.stdout.write(toJson(doc));
      else if (format === 'yaml') ctx.io.stdout.write(toYaml(doc));
      else ctx.io.stdout.write(results.map((r) => inspectionText(r, tableWidth(ctx.io.stdout))).join('\n'));
    });
}
