/**
 * `kcr backups`: the catalog's backups, newest first, filtered like kubectl filters pods. A page
 * of the newest (`--limit`, default 500) is what anyone reads; `--all` streams every row. The
 * catalog counts, filters and orders in SQLite, and the rows are written as they are read.
 */
import { Option, type Command } from 'commander';
import { KcrError } from '../../errors.js';
import { withCatalog } from '../backup-env.js';
import type { CliContext } from '../context.js';
import { integer, outputFormat, parseDuration } from '../options.js';
import { LIST_FORMATS, writeBackups, type ListFormat } from '../output/backup-printers.js';
import { tableWidth } from '../output/table.js';

/** The page `kcr backups` shows without --limit or --all. */
export const DEFAULT_LIMIT = 500;

interface BackupsFlags {
  namespace?: string;
  pod?: string;
  container?: string;
  selector?: string;
  since?: string;
  store?: string;
  removed?: boolean;
  limit: number;
  all?: boolean;
  after?: string;
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
    .option('--limit <n>', 'show at most the newest N (0: all)', integer('--limit'), DEFAULT_LIMIT)
    .addOption(new Option('--all', 'show every backup (same as --limit 0)').conflicts('limit'))
    .option('--after <id>', 'the page after this backup (the last one shown)')
    .option('-o, --output <format>', 'table, wide, json or yaml', outputFormat(LIST_FORMATS), 'table')
    .action(async (flags: BackupsFlags) => {
      if (flags.limit < 0) {
        throw new KcrError('usage', `--limit ${flags.limit}: not a count`, {
          hint: 'give the number of backups to show, or --all (--limit 0) for every one',
        });
      }
      const since =
        flags.since === undefined ? undefined : new Date(Date.now() - parseDuration('--since', flags.since));
      const limit = flags.all ? 0 : flags.limit;
      await withCatalog(ctx, async (catalog) => {
        if (flags.store !== undefined && !catalog.getStore(flags.store)) {
          throw new KcrError('not-found', `no store named "${flags.store}"`, {
            hint: 'run `kcr store list`',
          });
        }
        if (flags.after !== undefined && catalog.findEntry(flags.after).length === 0) {
          throw new KcrError('not-found', `--after ${flags.after}: no such backup in the catalog`, {
            hint: 'give the id of the last backup a page showed',
          });
        }
        const listing = catalog.list({
          ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}),
          ...(flags.pod !== undefined ? { pod: flags.pod } : {}),
          ...(flags.container !== undefined ? { container: flags.container } : {}),
          ...(flags.selector !== undefined ? { selector: flags.selector } : {}),
          ...(flags.store !== undefined ? { store: flags.store } : {}),
          ...(since ? { since } : {}),
          ...(flags.after !== undefined ? { after: flags.after } : {}),
          tombstones: Boolean(flags.removed),
          limit,
        });
        let last: string | undefined;
        const rows = (function* () {
          for (const row of listing.rows) {
            last = row.id;
            yield row;
          }
        })();
        const shown = writeBackups(
          { shape: listing.shape, rows },
          flags.output,
          ctx.io.stdout,
          tableWidth(ctx.io.stdout),
        );
        if (shown === 0 && (flags.output === 'table' || flags.output === 'wide')) {
          if (!ctx.quiet) ctx.io.stderr.write('no backups found\n');
        }
        // Said even with -q: without it, a script would take the page for the whole list.
        if (listing.total > shown) {
          ctx.io.stderr.write(
            `${listing.total - shown} more; see them with --all, --limit N or --after ${last}\n`,
          );
        }
      });
    });
}
