/** `kcr backups`: the catalog's backups, newest first, filtered like kubectl filters pods. */
import type { Command } from 'commander';
import { KcrError } from '../../errors.js';
import { withCatalog } from '../backup-env.js';
import type { CliContext } from '../context.js';
import { outputFormat, parseDuration } from '../options.js';
import { LIST_FORMATS, renderBackups, type ListFormat } from '../output/backup-printers.js';

interface BackupsFlags {
  namespace?: string;
  pod?: string;
  container?: string;
  selector?: string;
  since?: string;
  store?: string;
  removed?: boolean;
  output: ListFormat;
}

export function registerBackups(program: Command, ctx: CliContext): void {
  program
    .command('backups')
    .description(
      'list backups from the catalog, newest first (kcr catalog sync refreshes it from the stores)',
    )
    .option('-n, --namespace <ns>', 'only this namespace')
    .option('--pod <pod>', 'only this pod')
    .option('-c, --container <name>', 'only this container')
    .option('-l, --selector <selector>', "only backups whose pod's labels match (app=web,tier!=db)")
    .option('--since <duration>', 'only backups taken within this long (24h, 7d)')
    .option('--store <name>', 'only this store')
    .option('--removed', 'include removed backups (their tombstones)')
    .option('-o, --output <format>', 'table, wide, json or yaml', outputFormat(LIST_FORMATS), 'table')
    .action(async (flags: BackupsFlags) => {
      const since =
        flags.since === undefined ? undefined : new Date(Date.now() - parseDuration('--since', flags.since));
      const rows = await withCatalog(ctx, async (catalog) => {
        if (flags.store !== undefined && !catalog.getStore(flags.store)) {
          throw new KcrError('not-found', `no store named "${flags.store}"`, {
            hint: 'run `kcr store list`',
          });
        }
        return catalog.query({
          ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}),
          ...(flags.pod !== undefined ? { pod: flags.pod } : {}),
          ...(flags.container !== undefined ? { container: flags.container } : {}),
          ...(flags.selector !== undefined ? { selector: flags.selector } : {}),
          ...(flags.store !== undefined ? { store: flags.store } : {}),
          ...(since ? { since } : {}),
          tombstones: Boolean(flags.removed),
        });
      });
      if (rows.length === 0 && (flags.output === 'table' || flags.output === 'wide')) {
        if (!ctx.quiet) ctx.io.stderr.write('no backups found\n');
        return;
      }
      ctx.io.stdout.write(renderBackups(rows, flags.output));
    });
}
