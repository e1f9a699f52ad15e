/**
 * `kcr prune`: apply retention rules to a store's backups (each removed one leaves a tombstone
 * naming the rule), or to the raw archives in a node's checkpoint directory (the node agent's
 * job: the kubelet never deletes them). Dry runs return the same decisions and change nothing.
 */
import { rm } from 'node:fs/promises';
import { fileError } from '../errors.js';
import { listArchives } from '../forensics/list.js';
import { removeBackup } from './backup-admin.js';
import type { Catalog } from './catalog.js';
import type { BackupRecord } from './record.js';
import { selectForPruning, type PruneDecision, type RetentionItem, type RetentionRule } from './retention.js';
import type { NamedStore } from './stores.js';

export interface PruneOptions {
  dryRun?: boolean;
  now?: Date;
  signal?: AbortSignal;
}

/** When the checkpoint was taken (the record's own time when the archive did not say). */
function takenAt(record: BackupRecord): Date {
  const checkpointed = record.source.checkpointedAt ? new Date(record.source.checkpointedAt) : undefined;
  return checkpointed && !Number.isNaN(checkpointed.getTime()) ? checkpointed : new Date(record.createdAt);
}

export async function pruneStore(
  catalog: Catalog,
  named: NamedStore,
  rules: readonly RetentionRule[],
  options: PruneOptions = {},
): Promise<PruneDecision[]> {
  const records = (await named.store.list({ signal: options.signal })).filter(
    (e): e is BackupRecord => e.kind === 'Backup',
  );
  const items: RetentionItem[] = records.map((r) => ({
    id: r.id,
    ...(r.source.namespace !== undefined ? { namespace: r.source.namespace } : {}),
    ...(r.source.pod !== undefined ? { pod: r.source.pod } : {}),
    container: r.source.container,
    time: takenAt(r),
    size: r.archive.size,
    pinned: r.pinned,
  }));
  const decisions = selectForPruning(items, rules, options.now);
  if (!options.dryRun) {
    for (const { item, reason } of decisions) {
      options.signal?.throwIfAborted();
      await removeBackup(
        catalog,
        named,
        item.id,
        `pruned: ${reason}`,
        options.now ? { now: options.now } : {},
      );
    }
  }
  return decisions;
}

/** The same rules over the archives in a node's checkpoint directory; ids are the archive paths. */
export async function pruneNodeDir(
  dir: string,
  rules: readonly RetentionRule[],
  options: PruneOptions = {},
): Promise<PruneDecision[]> {
  const archives = await listArchives([dir]);
  const items: RetentionItem[] = archives.map((a) => ({
    id: a.path,
    ...(a.namespace !== undefined ? { namespace: a.namespace } : {}),
    ...(a.pod !== undefined ? { pod: a.pod } : {}),
    container: a.container ?? '',
    time: new Date(a.time ?? 0),
    size: a.size,
    pinned: false,
  }));
  const decisions = selectForPruning(items, rules, options.now);
  if (!options.dryRun) {
    for (const { item } of decisions) {
      options.signal?.throwIfAborted();
      await rm(item.id).catch((err: unknown) => {
        throw fileError(item.id, err, 'cannot remove');
      });
      // The Pod object kcr checkpoint saved beside it goes with it.
      await rm(`${item.id}.pod.json`, { force: true });
    }
  }
  return decisions;
}
