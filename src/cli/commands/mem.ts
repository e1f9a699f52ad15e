/**
 * `kcr mem ARCHIVE`: per-process memory sizes. `mem` is a group whose default subcommand is
 * `summary`, so the group itself has no options to steal `-o` from `mem maps|dump|search`.
 */
import type { Command } from 'commander';
import { withCheckpointImages } from '../../forensics/checkpoint-images.js';
import { loadMemoryContext } from '../../forensics/memory/context.js';
import { memorySummary } from '../../forensics/memory/summary.js';
import { ARCHIVE_ARG } from '../address-options.js';
import type { CliContext } from '../context.js';
import { eachArchive, listOf } from '../each-archive.js';
import { outputFormat } from '../options.js';
import { toJson, toYaml } from '../output/format.js';
import { summaryTable } from '../output/memory-printer.js';
import { registerMemDump } from './mem-dump.js';
import { registerMemMaps } from './mem-maps.js';
import { registerMemSearch } from './mem-search.js';

const FORMATS = ['table', 'wide', 'json', 'yaml'] as const;

export function registerMem(program: Command, ctx: CliContext): void {
  const mem = program
    .command('mem')
    .description(
      'process memory in a checkpoint, read in place: `kcr mem ARCHIVE` for sizes per process, then maps, dump, search',
    );
  mem
    .command('summary', { isDefault: true })
    .description(
      'one row per process: PID, command, resident (dumped) and shared memory, VMA count (the default)',
    )
    .argument('<archive...>', `${ARCHIVE_ARG}; several are shown one after the other`)
    .option('-o, --output <format>', 'table, wide, json or yaml', outputFormat(FORMATS), 'table')
    .action(async (paths: string[], opts: { output: (typeof FORMATS)[number] }) => {
      const read = await eachArchive(ctx, paths, (path) =>
        withCheckpointImages(path, async (cp) => memorySummary(await loadMemoryContext(cp)), ctx.archive),
      );
      // The sizes come from the pagemaps alone; a pages member that cannot be read is worth a warning.
      for (const { path, result } of read)
        for (const row of result)
          if (row.pagesProblem)
            ctx.io.stderr.write(`warning: ${path}: pid ${row.pid}: ${row.pagesProblem}\n`);
      const one = paths.length === 1;
      const doc = one
        ? read[0]?.result
        : listOf(read.map(({ path, result }) => ({ archive: path, processes: result })));
      if (opts.output === 'json') return void ctx.io.stdout.write(toJson(doc));
      if (opts.output === 'yaml') return void ctx.io.stdout.write(toYaml(doc));
      const tables = read.map(
        ({ path, result }) =>
          (one ? '' : `Archive: ${path}\n`) + summaryTable(result, opts.output === 'wide'),
      );
      ctx.io.stdout.write(tables.join('\n'));
    });
  registerMemMaps(mem, ctx);
  registerMemDump(mem, ctx);
  registerMemSearch(mem, ctx);
}
