/** `kcr mem maps ARCHIVE [--pid N]`: the mappings of a process, like /proc/PID/maps. */
import type { Command } from 'commander';
import { withCheckpointImages } from '../../forensics/checkpoint-images.js';
import { loadMemoryContext, processView } from '../../forensics/memory/context.js';
import { ARCHIVE_ARG } from '../address-options.js';
import type { CliContext } from '../context.js';
import { outputFormat } from '../options.js';
import { addPidOption, onlyProcess } from '../pid-option.js';
import { toJson, toYaml } from '../output/format.js';
import { mappingJson, mapsText } from '../output/memory-printer.js';
import { tableWidth } from '../output/table.js';

const FORMATS = ['table', 'json', 'yaml'] as const;

export function registerMemMaps(mem: Command, ctx: CliContext): void {
  const maps = mem
    .command('maps')
    .description(
      'list the memory mappings of a process: range, permissions, offset, dumped pages, file or [heap]/[stack]/…',
    )
    .argument('<archive>', ARCHIVE_ARG);
  addPidOption(maps)
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
