/** `kcr show ARCHIVE...`: one row per archive, who the container was and how big the checkpoint is. */
import type { Command } from 'commander';
import { withCheckpoint } from '../../forensics/checkpoint.js';
import { showable, type CheckpointSummary } from '../../forensics/summary.js';
import { formatBytes } from '../../util/units.js';
import type { CliContext } from '../context.js';
import { eachArchive } from '../each-archive.js';
import { choice } from '../options.js';
import { toJson, toYaml } from '../output/format.js';
import { renderTable } from '../output/table.js';

const FORMATS = ['table', 'wide', 'json', 'yaml'] as const;
type Format = (typeof FORMATS)[number];

interface ShowOptions {
  output: Format;
}

/** `-o json|yaml` is always an array, one entry per archive that could be read, whatever their number. */
export function renderSummaries(rows: CheckpointSummary[], format: Format): string {
  if (format === 'json') return toJson(rows);
  if (format === 'yaml') return toYaml(rows);
  return renderTable(
    rows,
    [
      { header: 'CONTAINER', value: (r) => r.container },
      { header: 'POD', value: (r) => r.pod },
      { header: 'NAMESPACE', value: (r) => r.namespace },
      { header: 'IMAGE', value: (r) => r.image },
      { header: 'ENGINE', value: (r) => r.engine },
      { header: 'RUNTIME', value: (r) => r.runtime },
      { header: 'CREATED', value: (r) => r.createdAt, wide: true },
      { header: 'CHECKPOINTED', value: (r) => r.checkpointedAt },
      { header: 'SIZE', value: (r) => formatBytes(r.sizes.total), align: 'right' },
      { header: 'MEMORY', value: (r) => formatBytes(r.sizes.memoryPages), align: 'right' },
      { header: 'ROOTFS DIFF', value: (r) => formatBytes(r.sizes.rootfsDiff), align: 'right' },
      { header: 'ARCHIVE', value: (r) => r.archive, wide: true },
    ],
    format === 'wide',
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
    .option('-o, --output <format>', 'table, wide, json or yaml', choice('--output', FORMATS), 'table')
    .action(async (paths: string[], opts: ShowOptions) => {
      const rows = await eachArchive(ctx, paths, (path) => withCheckpoint(path, async (cp) => showable(cp)));
      if (rows.length || opts.output === 'json' || opts.output === 'yaml')
        ctx.io.stdout.write(
          renderSummaries(
            rows.map((r) => r.result),
            opts.output,
          ),
        );
    });
}
