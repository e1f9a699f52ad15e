/** `kcr list [DIR...]`: the checkpoint archives on this node (or in the directories given), newest first. */
import type { Command } from 'commander';
import { KUBELET_CHECKPOINT_DIR, listArchives } from '../../forensics/list.js';
import { formatBytes } from '../../util/units.js';
import type { CliContext } from '../context.js';
import { outputFormat } from '../options.js';
import { toJson, toYaml } from '../output/format.js';
import { renderTable, shortTime, tableWidth } from '../output/table.js';

/** The row names the archive already; its error need not repeat the path. */
const unprefixed = (message: string, path: string) =>
  message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message;

const FORMATS = ['table', 'wide', 'json', 'yaml'] as const;

export function registerList(program: Command, ctx: CliContext): void {
  program
    .command('list')
    .alias('ls')
    .description(`list checkpoint archives, newest first (default directory ${KUBELET_CHECKPOINT_DIR})`)
    .argument('[dir...]', 'directories to look in')
    .option('-o, --output <format>', 'table, wide, json or yaml', outputFormat(FORMATS), 'table')
    .action(async (dirs: string[], opts: { output: (typeof FORMATS)[number] }) => {
      const searched = dirs.length ? dirs : [KUBELET_CHECKPOINT_DIR];
      const rows = await listArchives(searched, ctx.archive);
      if (rows.length === 0 && (opts.output === 'table' || opts.output === 'wide')) {
        ctx.io.stderr.write(`No checkpoint archives found in ${searched.join(', ')}.\n`);
        return;
      }
      if (opts.output === 'json') return void ctx.io.stdout.write(toJson(rows));
      if (opts.output === 'yaml') return void ctx.io.stdout.write(toYaml(rows));
      // A row that could not be read says so in every table, not only in the wide one.
      const failed = rows.some((r) => r.error);
      ctx.io.stdout.write(
        renderTable(
          rows,
          [
            { header: 'NAMESPACE', value: (r) => r.namespace, shrink: true },
            { header: 'POD', value: (r) => r.pod, shrink: true },
            { header: 'CONTAINER', value: (r) => r.container, shrink: true },
            { header: 'ENGINE', value: (r) => r.engine ?? '' },
            { header: 'CHECKPOINTED', value: (r) => (opts.output === 'wide' ? r.time : shortTime(r.time)) },
            { header: 'SIZE', value: (r) => formatBytes(r.size), align: 'right' },
            { header: 'ARCHIVE', value: (r) => r.path, wide: true, shrink: true },
            {
              header: 'STATUS',
              value: (r) => (r.error ? `unreadable: ${unprefixed(r.error, r.path)}` : 'ok'),
              wide: !failed,
              shrink: true,
            },
          ],
          { wide: opts.output === 'wide', width: tableWidth(ctx.io.stdout) },
        ),
      );
      if (failed) {
        ctx.io.stderr.write(
          `warning: ${rows.filter((r) => r.error).length} archive(s) could not be read; their rows come from the file name\n`,
        );
        ctx.exitCode = 2;
      }
    });
}
