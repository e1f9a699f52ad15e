/**
 * `kcr verify [ID...] [--store S] [--deep [--identity KEY]...] [--chain]`: re-read backups and
 * check them against their records; --deep also decodes every CRIU image (of an encrypted backup
 * only with its key); --chain checks every container's hash chain. Exit 3 when anything is wrong.
 */
import type { Command } from 'commander';
import type { ChainReport, DeepVerifyResult } from '../../backup/index.js';
import { openNamedStore, withCatalog } from '../backup-env.js';
import type { CliContext } from '../context.js';
import { addIdentityFlag, identityTexts } from '../encryption-flags.js';
import { outputFormat } from '../options.js';
import { chainReportLines } from '../output/backup-printers.js';
import { toJson, toYaml } from '../output/format.js';
import { tableWidth, wrapText } from '../output/table.js';

const FORMATS = ['table', 'json', 'yaml'] as const;

interface VerifyFlags {
  store?: string;
  chain?: boolean;
  deep?: boolean;
  identity: string[];
  output: (typeof FORMATS)[number];
}

interface StoreVerification {
  store: string;
  backups: DeepVerifyResult[];
  chain?: ChainReport;
}

const counted = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** The verdict column's width: `ok` and `FAILED` padded alike, so the ids line up. */
const MARK_WIDTH = 8;

/**
 * One verdict line; on a terminal (`width`) a long one wraps under its own text, after the mark,
 * instead of running past the edge.
 */
function verdict(mark: 'ok' | 'FAILED', text: string, width: number | undefined): string {
  const lines = width ? wrapText(text, Math.max(20, width - 1 - MARK_WIDTH)) : [text];
  return lines.map((l, i) => `${(i === 0 ? mark : '').padEnd(MARK_WIDTH)}${l}`.trimEnd()).join('\n') + '\n';
}

function verifyLine(b: DeepVerifyResult, width: number | undefined): string {
  if (!b.ok) return verdict('FAILED', `${b.id}: ${b.problem}`, width);
  const images = b.images ? ` (${b.images.decoded} CRIU images decoded)` : '';
  return verdict('ok', `${b.id}${images}${b.problem ? `: ${b.problem}` : ''}`, width);
}

export function registerVerify(program: Command, ctx: CliContext): void {
  const cmd = program
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
    .option('--chain', 'also check the hash chains: removed, altered or reordered backups');
  addIdentityFlag(
    cmd,
    'with --deep: a key file that opens encrypted backups (age identities or an ssh private key; repeatable)',
  )
    // `table`, as every other command names its default; `text`, what verify once called it, still works.
    .option(
      '-o, --output <format>',
      'table, json or yaml',
      outputFormat(FORMATS, { aliases: { text: 'table' } }),
      'table',
    )
    .action(async (ids: string[], flags: VerifyFlags) => {
      const { ageEncryption, locateBackup, verifyBackupData, verifyBackupDeep, verifyChains } =
        await import('../../backup/index.js');
      const identities = flags.identity.length ? await identityTexts(flags.identity) : [];
      const options = {
        signal: ctx.signal,
        ...(identities.length ? { decryption: { cipher: ageEncryption, identities } } : {}),
      };
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
            for (const id of targets) backups.push(await check(named.store, id, options));
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
      const width = tableWidth(ctx.io.stdout);
      for (const r of results) {
        for (const b of r.backups) ctx.io.stdout.write(verifyLine(b, width));
        if (r.chain) {
          const lines = chainReportLines(r.chain);
          for (const line of lines) ctx.io.stdout.write(verdict('FAILED', line, width));
          if (lines.length === 0) {
            ctx.io.stdout.write(
              verdict(
                'ok',
                `${r.store}: ${counted(r.chain.chains, 'chain')}, ${counted(r.chain.entries, 'record')} (${counted(r.chain.tombstones, 'tombstone')}) intact`,
                width,
              ),
            );
          }
        }
      }
    });
}
