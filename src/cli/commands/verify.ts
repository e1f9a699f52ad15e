/**
 * `kcr verify [ID...] [--store S] [--deep] [--chain]`: re-read backups and check them against
 * their records; --deep also decodes every CRIU image; --chain checks every container's hash chain. Exit 3 when anything is wrong.
 */
import type { Command } from 'commander';
import type { ChainReport, DeepVerifyResult } from '../../backup/index.js';
import { openNamedStore, withCatalog } from '../backup-env.js';
import type { CliContext } from '../context.js';
import { outputFormat } from '../options.js';
import { chainReportLines } from '../output/backup-printers.js';
import { toJson, toYaml } from '../output/format.js';

const FORMATS = ['table', 'json', 'yaml'] as const;

interface VerifyFlags {
  store?: string;
  chain?: boolean;
  deep?: boolean;
  output: (typeof FORMATS)[number];
}

interface StoreVerification {
  store: string;
  backups: DeepVerifyResult[];
  chain?: ChainReport;
}

const counted = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

function verifyLine(b: DeepVerifyResult): string {
  if (!b.ok) return `FAILED  ${b.id}: ${b.problem}\n`;
  const images = b.images ? ` (${b.images.decoded} CRIU images decoded)` : '';
  return `ok      ${b.id}${images}${b.problem ? `: ${b.problem}` : ''}\n`;
}

export function registerVerify(program: Command, ctx: CliContext): void {
  program
    .command('verify')
    .description(
      "re-read backups and check size and sha256 against their records; --chain checks each container's hash chain",
    )
    .argument('[id...]', 'backup ids (default: every backup in the store)')
    .option(
      '--store <name|url>',
      'the store to check (default: where the catalog says each id is, else the local store)',
    )
    .option('--deep', 'also open each archive and decode every CRIU image in it')
    .option('--chain', 'also check the hash chains: removed, altered or reordered backups')
    // `table`, as every other command names its default; `text`, what verify once called it, still works.
    .option(
      '-o, --output <format>',
      'table, json or yaml',
      outputFormat(FORMATS, { aliases: { text: 'table' } }),
      'table',
    )
    .action(async (ids: string[], flags: VerifyFlags) => {
      const { locateBackup, verifyBackupData, verifyBackupDeep, verifyChains } =
        await import('../../backup/index.js');
      const check = flags.deep ? verifyBackupDeep : verifyBackupData;
      const results = await withCatalog(ctx, async (catalog) => {
        // Group the ids by store: each store is opened once.
        const byStore = new Map<string | undefined, string[]>();
        if (ids.length === 0) byStore.set(flags.store, []);
        for (const id of ids) {
          const where = flags.store ?? locateBackup(catalog, id);
          byStore.set(where, [...(byStore.get(where) ?? []), id]);
        }
        const out: StoreVerification[] = [];
        for (const [where, wanted] of byStore) {
          const named = await openNamedStore(ctx, catalog, where);
          try {
            const entries = await named.store.list({ signal: ctx.signal });
            const targets =
              wanted.length > 0
                ? wanted
                : entries
                    .filter((e) => e.kind === 'Backup')
                    .map((e) => e.id)
                    .sort();
            const backups: DeepVerifyResult[] = [];
            for (const id of targets) backups.push(await check(named.store, id, { signal: ctx.signal }));
            out.push({
              store: named.name,
              backups,
              ...(flags.chain ? { chain: verifyChains(entries) } : {}),
            });
          } finally {
            await named.store.close();
          }
        }
        return out;
      });
      const failed = results.some((r) => r.backups.some((b) => !b.ok) || (r.chain?.problems.length ?? 0) > 0);
      if (failed) ctx.exitCode = 3;
      if (flags.output === 'json') return void ctx.io.stdout.write(toJson(results));
      if (flags.output === 'yaml') return void ctx.io.stdout.write(toYaml(results));
      for (const r of results) {
        for (const b of r.backups) ctx.io.stdout.write(verifyLine(b));
        if (r.chain) {
          const lines = chainReportLines(r.chain);
          for (const line of lines) ctx.io.stdout.write(`FAILED  ${line}\n`);
          if (lines.length === 0) {
            ctx.io.stdout.write(
              `ok      ${r.store}: ${counted(r.chain.chains, 'chain')}, ${counted(r.chain.entries, 'record')} (${counted(r.chain.tombstones, 'tombstone')}) intact\n`,
            );
          }
        }
      }
    });
}
