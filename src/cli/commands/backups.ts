/** `kcr backups`: the catalog's backups, newest first, filtered like kubectl filters pods. */
import type { Command } from 'commander';
import { KcrError } from '../../errors.js';
import { withCatalog } from '../backup-env.js';
import type { CliContext } from '../context.js';
import { choice } from '../options.js';
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

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90m`, `24h`, `7d`, `1h30m`: a duration as kubectl and Go write them (plus d and w). */
export function parseDuration(flag: string, text: string): number {
  const parts = [...text.matchAll(/(\d+)([smhdw])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new KcrError('usage', `${flag} ${text}: not a duration`, {
      hint: 'use a number and a unit: 90m, 24h, 7d, 2w, 1h30m',
    });
  }
  return parts.reduce((ms, p) => ms + Number(p[1]) * UNIT_MS[p[2]!]!, 0);
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
    .option('-o, --output <format>', 'table, wide, json or yaml', choice('--output', LIST_FORMATS), 'table')
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
