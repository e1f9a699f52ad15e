/**
 * `kcr backup POD`: checkpoint → copy off the node → store → record, for every selected container.
 * The checkpoint and copy are ops' (sha256 verified on the way); the archives land in a private
 * temporary directory and are stored from there with the Pod object ops returned, the copy's
 * sha256 as the one the store must see, and removed afterwards. One container failing does not
 * stop the others: each gets its own result.
 */
import { KcrError } from '../errors.js';
import { checkpoint, type CheckpointOptions, type CheckpointTarget, type OpEvent } from '../ops/index.js';
import { isJsonObject } from '../util/json.js';
import { makeTempDir } from '../util/temp-dir.js';
import { backupArchive } from './backup-archive.js';
import type { StreamEncryption } from './encryption/types.js';
import type { BackupRecord } from './record.js';
import type { Store } from './stores/store.js';

export interface BackupPodsOptions extends Omit<
  CheckpointOptions,
  'copyTo' | 'podObjectDir' | 'podObjectBesideArchive'
> {
  encryption?: { cipher: StreamEncryption; recipients: readonly string[] };
}

export interface PodBackupResult {
  target: CheckpointTarget;
  record?: BackupRecord;
  error?: KcrError;
}

function asKcrError(err: unknown): KcrError {
  return err instanceof KcrError
    ? err
    : new KcrError('io', err instanceof Error ? err.message : String(err), { cause: err });
}

/**
 * The store's upload as ops' `transfer` events (phase `upload`), beside the checkpoint's and copy's
 * own, so the CLI draws one bar per container and the server can forward them as they are. At most
 * one event per MiB, as ops sends its own, plus the last one.
 */
function storeProgress(
  target: CheckpointTarget,
  onEvent: ((event: OpEvent) => void) | undefined,
): ((done: number, total: number) => void) | undefined {
  if (!onEvent) return undefined;
  const label = `${target.namespace}/${target.pod}/${target.container}`;
  let sent = -1;
  return (transferred, total) => {
    const done = transferred >= total;
    if (!done && transferred - sent < 1 << 20) return;
    sent = transferred;
    onEvent({ type: 'transfer', target, progress: { phase: 'upload', label, transferred, total, done } });
  };
}

export async function backupPods(store: Store, options: BackupPodsOptions): Promise<PodBackupResult[]> {
  const temp = await makeTempDir('backup', options.env ? { env: options.env } : {});
  try {
    const { encryption, ...checkpointOptions } = options;
    const outcomes = await checkpoint({ ...checkpointOptions, copyTo: { dir: temp.dir } });
    const results: PodBackupResult[] = [];
    for (const outcome of outcomes) {
      if (outcome.error || !outcome.copy) {
        results.push({
          target: outcome.target,
          error: outcome.error ?? new KcrError('io', `${outcome.target.pod}: the archive was not copied`),
        });
        continue;
      }
      try {
        const pod: unknown = JSON.parse(JSON.stringify(outcome.pod));
        const record = await backupArchive(store, outcome.copy.path, {
          ...(isJsonObject(pod) ? { podObject: pod } : {}),
          target: outcome.target,
          node: outcome.target.node,
          expectedSha256: outcome.copy.sha256,
          ...(encryption ? { encryption } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          onProgress: storeProgress(outcome.target, options.onEvent),
        });
        results.push({ target: outcome.target, record });
      } catch (err) {
        if (options.signal?.aborted) throw err;
        results.push({ target: outcome.target, error: asKcrError(err) });
      }
    }
    return results;
  } finally {
    await temp.remove();
  }
}
