/** `kcr list [DIR...]`: the checkpoint archives on this node (or in the directories given), newest first. */
import type { Command } from 'commander';
import { KUBELET_CHECKPOINT_DIR, listArchives } from '../../forensics/list.js';
import { formatBytes } from '../../util/units.js';
import type { CliContext } from '../context.js';
import { choice } from '../options.js';
import { toJson, toYaml } from '../output/format.js';
import { renderTable } from '../output/table.js';

const FORMATS = ['table', 'wide', 'json', 'yaml'] as const;

export function registerList(program: Command, ctx: CliContext): void {
  program
    .command('list')
    .alias('ls')
    .description(`list checkpoint archives, newest first (default directory ${KUBELET_CHECKPOINT_DIR})`)
    .argument('[dir...]', 'directories to look in')
    .option('-o, --output <format>', 'table, wide, json or yaml', choice('--output', FORMATS), 'table')
    .action(async (dirs: string[], opts: { output: (typeof FORMATS)[number] }) => {
      const searched = dirs.length ? dirs : [KUBELET_CHECKPOINT_DIR];
      const rows = await listArchives(searched);
      if (rows.length === 0 && (opts.output === 'table' || opts.output === 'wide')) {
        ctx.io.stderr.write(`No checkpoint archives found in ${searched.join(', ')}.\n`);
        return;
      }
      if (opts.output === 'json') return void ctx.io.stdout.write(toJson(rows));
      if (opts.output === 'yaml') return void ctx.io.stdout.write(toYaml(rows));
      ctx.io.stdout.write(
        renderTable(
          rows,
          [
            { header: 'NAMESPACE', value: (r) => r.namespace },
            { header: 'POD', value: (r) => r.pod },
            { header: 'CONTAINER', value: (r) => r.container },
            { header: 'TIME', value: (r) => r.time },
            { header: 'SIZE', value: (r) => formatBytes(r.size), align: 'right' },
            { header: 'ARCHIVE', value: (r) => r.path, wide: true },
            { header: 'ERROR', value: (r) => r.error ?? '', wide: true },
          ],
          opts.output === 'wide',
        ),
      );
    });
}
