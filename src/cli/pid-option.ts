/**
 * `--pid` of the memory commands that act on one process (`mem maps`, `mem dump`): it may be left
 * out when the checkpoint has one process, as most containers' do; with several, one usage error
 * whose hint names them to choose from.
 */
import type { Command } from 'commander';
import { KcrError } from '../errors.js';
import { positiveInt } from './options.js';

/** The most processes a hint lists; the rest are counted (a hint is one line, not a table). */
const LISTED = 4;

export function addPidOption(command: Command): Command {
  return command.option(
    '--pid <pid>',
    'the process (PID in the container); may be left out when the checkpoint has one process',
    positiveInt('--pid'),
  );
}

/** The PID of a checkpoint's one process; with several, a usage error listing them. */
export function onlyProcess(path: string, processes: readonly { pid: number; comm: string }[]): number {
  if (processes.length === 1) return processes[0]!.pid;
  const shown = processes.slice(0, LISTED).map((p) => `${p.pid} (${p.comm})`);
  if (processes.length > LISTED) shown.push(`… ${processes.length - LISTED} more`);
  throw new KcrError('usage', `${path}: has ${processes.length} processes, say which with --pid`, {
    // Short, so it stays one line at 80 columns: the error names the archive already.
    hint: `the processes: ${shown.join(', ')}`,
  });
}
