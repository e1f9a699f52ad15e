/** `kcr mem maps ARCHIVE --pid N`: the mappings of a process, like /proc/PID/maps. */
import type { Command } from 'commander';
import { withCheckpoint } from '../../forensics/checkpoint.js';
import { loadMemoryContext, processView } from '../../forensics/memory/context.js';
import { ARCHIVE_ARG } from '../address-options.js';
import type { CliContext } from '../context.js';
import { outputFormat, positiveInt } from '../options.js';
import { toJson, toYaml } from '../output/format.js';
import { mappingJson, mapsText } from '../output/memory-printer.js';

const FORMATS = ['table', 'json', 'yaml'] as const;

export function registerMemMaps(mem: Command, ctx: CliContext): void {
  mem
    .command('maps')
    .description(
      'list the memory mappings of a process: range, permissions, offset, dumped pages, file or [heap]/[stack]/…',
    )
    .argument('<archive>', ARCHIVE_ARG)
    .requiredOption('--pid <pid>', 'the process (PID in the container)', positiveInt('--pid'))
    .option('-o, --output <format>', 'table, json or yaml', outputFormat(FORMATS), 'table')
    .action(async (path: string, opts: { pid: number; output: (typeof FORMATS)[number] }) => {
      const mappings = await withCheckpoint(path, async (cp) => {
        const context = await loadMemoryContext(cp, { pid: opts.pid });
        return processView(context, opts.pid).mappings;
      });
      if (opts.output === 'table') ctx.io.stdout.write(mapsText(mappings));
      else {
        const rows = mappings.map(mappingJson);
        ctx.io.stdout.write(opts.output === 'json' ? toJson(rows) : toYaml(rows));
      }
    });
}
