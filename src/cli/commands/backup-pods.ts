/**
 * `kcr backup POD [-c C] [-l SELECTOR] -n NS --store S`: checkpoint → copy → store → record in one
 * command (backup/backupPods over ops.checkpoint), drawing the checkpoint and copy the way
 * `kcr checkpoint` does. Prints one row per stored backup; a container that failed is one
 * `error:` line (exit 2), and the others are still stored.
 */
import type { Catalog, NamedStore, PodBackupResult } from '../../backup/index.js';
import { openNamedStore, withCatalog } from '../backup-env.js';
import type { CliContext } from '../context.js';
import { backupEncryptionFlags } from '../encryption-flags.js';
import { selectionOptions, type SelectionFlags } from '../kube-flags.js';
import { opProgress } from '../op-progress.js';
import { renderBackups, type ListFormat } from '../output/backup-printers.js';
import { tableWidth } from '../output/table.js';

export interface BackupPodFlags extends SelectionFlags {
  store?: string;
  encryptTo: string[];
}

async function run(
  ctx: CliContext,
  catalog: Catalog,
  named: NamedStore,
  pod: string | undefined,
  f: BackupPodFlags,
) {
  const { backupPods } = await import('../../backup/index.js');
  const progress = opProgress(ctx);
  try {
    const results = await backupPods(named.store, {
      ...selectionOptions(pod, f, ctx),
      // Parsed before anything is checkpointed: a bad recipient costs nothing.
      ...(await backupEncryptionFlags(named.store, f.encryptTo)),
      signal: ctx.signal,
      onEvent: progress.onEvent,
    });
    for (const r of results) if (r.record) catalog.upsertEntry(named.name, r.record);
    return results;
  } finally {
    progress.stop();
  }
}

export async function runBackupPods(
  ctx: CliContext,
  pod: string | undefined,
  flags: BackupPodFlags,
  output: ListFormat,
): Promise<void> {
  const { entryToRow } = await import('../../backup/index.js');
  let results: PodBackupResult[] = [];
  let storeName = '';
  await withCatalog(ctx, async (catalog) => {
    const named = await openNamedStore(ctx, catalog, flags.store);
    storeName = named.name;
    try {
      results = await run(ctx, catalog, named, pod, flags);
    } finally {
      await named.store.close();
    }
  });
  const failed = results.filter((r) => r.error);
  if (results.length === 1 && failed.length === 1) throw failed[0]!.error!;
  const rows = results.flatMap((r) => (r.record ? [entryToRow(storeName, r.record)] : []));
  if (rows.length > 0) ctx.io.stdout.write(renderBackups(rows, output, tableWidth(ctx.io.stdout)));
  for (const r of failed) {
    ctx.io.stderr.write(
      `error: ${r.target.namespace}/${r.target.pod}/${r.target.container}: ${r.error!.message}\n`,
    );
    if (r.error!.hint) ctx.io.stderr.write(`hint: ${r.error!.hint}\n`);
  }
  if (failed.length > 0) ctx.exitCode = 2;
}
