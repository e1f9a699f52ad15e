/** `kcr mem maps ARCHIVE [--pid N]`: the mappings of a process, like /proc/PID/maps. */
import type { Command } from 'commander';
import { KcrError } from '../../errors.js';
import { withCheckpointImages } from '../../forensics/checkpoint-images.js';
import { loadMemoryContext, processView } from '../../forensics/memory/context.js';
import { ARCHIVE_ARG } from '../address-options.js';
import type { CliContext } from '../context.js';
import { outputFormat, positiveInt } from '../options.js';
import { toJson, toYaml } from '../output/format.js';
import { mappingJson, mapsText } from '../output/memory-printer.js';
import { tableWidth } from '../output/table.js';

const FORMATS = ['table', 'json', 'yaml'] as const;

/** The PID of a checkpoint's one process; with several, a usage error listing them. */
function onlyProcess(path: string, processes: readonly { pid: number; comm: string }[]): number {
  if (processes.length === 1) return processes[0]!.pid;
  const list = processes.map((p) => `${p.pid} (${p.comm})`).join(', ');
  throw new KcrError('usage', `${path}: has ${processes.length} processes, say which with --pid`, {
    hint: `the processes: ${list}; or run \`kcr mem ${path}\` for each one's memory`,
  });
}

export function registerMemMaps(mem: Command, ctx: CliContext): void {
  mem
    .command('maps')
    .description(
      'list the memory mappings of a process: range, permissions, offset, dumped pages, file or [heap]/[stack]/…',
    )
    .argument('<archive>', ARCHIVE_ARG)
    .option(
      '--pid <pid>',
      'the process (PID in the container); may be left out when the checkpoint has one process',
      positiveInt('--pid'),
    )
    .option('-o, --output <format>', 'table, json or yaml', outputFormat(FORMATS), 'table')
    .action(async (path: string, opts: { pid?: number; output: (typeof FORMATS)[number] }) => {
      const mappings = await withCheckpointImages(
        path,
        async (cp) => {
          const context = await loadMemoryContext(cp, opts.pid === undefined ? {} : { pid: opts.pid });
          return processView(context, opts.pid ?? onlyProcess(path, context.processes)).mappings;
        },
        ctx.archive,
      );
      if (opts.output === 'table') ctx.io.stdout.write(mapsText(mappings, tableWidth(ctx.io.stdout)));
      else {
        const rows = mappings.map(mappingJson);
        ctx.io.stdout.write(opts.output === 'json' ? toJson(rows) : toYaml(rows));
      }
    });
}
