/**
 * `kcr backup podcheckpoint/NAME [-n NS] [--store S]`: a pod-level (KEP-5823) checkpoint's data
 * copied off its node and stored, one backup per container, recorded in the catalog.
 */
import { openNamedStore, withCatalog } from '../backup-env.js';
import type { CliContext } from '../context.js';
import { kubeconfigOptions, type KubeFlags } from '../kube-flags.js';
import { opProgress } from '../op-progress.js';
import { renderBackups, type ListFormat } from '../output/backup-printers.js';
import { tableWidth } from '../output/table.js';

export async function runBackupPodCheckpoint(
  ctx: CliContext,
  name: string,
  flags: KubeFlags & { store?: string },
  output: ListFormat,
): Promise<void> {
  const { backupPodCheckpoint, entryToRow } = await import('../../backup/index.js');
  const rows = await withCatalog(ctx, async (catalog) => {
    const named = await openNamedStore(ctx, catalog, flags.store);
    const progress = opProgress(ctx);
    try {
      const { records } = await backupPodCheckpoint(named.store, {
        ...kubeconfigOptions(flags, ctx),
        name,
        namespace: flags.namespace,
        signal: ctx.signal,
        onEvent: progress.onEvent,
      });
      for (const record of records) catalog.upsertEntry(named.name, record);
      return records.map((r) => entryToRow(named.name, r));
    } finally {
      progress.stop();
      await named.store.close();
    }
  });
  ctx.io.stdout.write(renderBackups(rows, output, tableWidth(ctx.io.stdout)));
}
