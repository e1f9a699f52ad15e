/** `kcr show ARCHIVE...`: one row per archive, who the container was and how big the checkpoint is. */
import type { Command } from 'commander';
import { withCheckpoint } from '../../forensics/checkpoint.js';
import { RESTORER_NAMES } from '../../archive/restorers.js';
import { showable, type CheckpointSummary } from '../../forensics/summary.js';
import { formatBytes } from '../../util/units.js';
import type { CliContext } from '../context.js';
import { eachArchive } from '../each-archive.js';
import { outputFormat } from '../options.js';
import { toJson, toYaml } from '../output/format.js';
import { renderTable, shortTime, tableWidth } from '../output/table.js';

const FORMATS = ['table', 'wide', 'json', 'yaml'] as const;
type Format = (typeof FORMATS)[number];

interface ShowOptions {
  output: Format;
}

/**
 * `-o json|yaml` is always an array, one entry per archive that could be read, whatever their
 * number. The default table fits 80 columns (long names and images lose their middle on a
 * terminal); `-o wide` adds engine, runtime, the runtimes that can restore it, creation time, the
 * sizes and the archive path, as kubectl does.
 */
export function renderSummaries(rows: CheckpointSummary[], format: Format, width?: number): string {
  if (format === 'json') return toJson(rows);
  if (format === 'yaml') return toYaml(rows);
  return renderTable(
    rows,
    [
      { header: 'CONTAINER', value: (r) => r.container, shrink: true },
      { header: 'POD', value: (r) => r.pod, shrink: true },
      { header: 'NAMESPACE', value: (r) => r.namespace, shrink: true },
      { header: 'IMAGE', value: (r) => r.image, shrink: true },
      { header: 'ENGINE', value: (r) => r.engine, wide: true },
      { header: 'RUNTIME', value: (r) => r.runtime, wide: true },
      {
        header: 'RESTORES ON',
        value: (r) => r.restorableBy.map((x) => RESTORER_NAMES[x]).join(',') || '-',
        wide: true,
      },
      { header: 'CREATED', value: (r) => r.createdAt, wide: true },
      {
        header: 'CHECKPOINTED',
        value: (r) => (format === 'wide' ? r.checkpointedAt : shortTime(r.checkpointedAt)),
      },
      { header: 'SIZE', value: (r) => formatBytes(r.sizes.total), align: 'right' },
      { header: 'MEMORY', value: (r) => formatBytes(r.sizes.memoryPages), align: 'right', wide: true },
      { header: 'ROOTFS DIFF', value: (r) => formatBytes(r.sizes.rootfsDiff), align: 'right', wide: true },
      { header: 'ARCHIVE', value: (r) => r.archive, wide: true, shrink: true },
    ],
    { wide: format === 'wide', width },
  );
}

export function registerShow(program: Command, ctx: CliContext): void {
  program
    .command('show')
    .description('show one line per checkpoint archive: container, pod, image, engine, times and sizes')
    .argument(
      '<archive...>',
      'checkpoint archives (.tar, .tar.gz, .tar.zst) or extracted checkpoint directories',
    )
    .option('-o, --output <format>', 'table, wide, json or yaml', outputFormat(FORMATS), 'table')
    .action(async (paths: string[], opts: ShowOptions) => {
      const rows = await eachArchive(ctx, paths, (path) =>
        withCheckpoint(path, async (cp) => showable(cp), ctx.archive),
      );
      if (rows.length || opts.output === 'json' || opts.output === 'yaml')
        ctx.io.stdout.write(
          renderSummaries(
            rows.map((r) => r.result),
            opts.output,
            tableWidth(ctx.io.stdout),
          ),
        );
    });
}
