/**
 * `kcr backup POD`: checkpoint → copy off the node → store → record, for every selected container.
 * The checkpoint and copy are ops' (sha256 verified on the way); the archives land in a private
 * temporary directory and are stored from there with the Pod object ops returned, the copy's
 * sha256 as the one the store must see, and removed afterwards. One container failing does not
 * stop the others: each gets its own result.
 */
import type { KeyObject } from 'node:crypto';
import { KcrError } from '../errors.js';
import { checkpoint, type CheckpointOptions, type CheckpointTarget } from '../ops/index.js';
import { isJsonObject } from '../util/json.js';
import { makeTempDir } from '../util/temp-dir.js';
import { backupArchive } from './backup-archive.js';
import type { StreamEncryption } from './encryption/types.js';
import type { BackupRecord } from './record.js';
import type { Store } from './stores/store.js';
import { transferEvents } from './transfer-events.js';

export interface BackupPodsOptions extends Omit<
  CheckpointOptions,
  'copyTo' | 'podObjectDir' | 'podObjectBesideArchive'
> {
  encryption?: { cipher: StreamEncryption; recipients: readonly string[] };
  /** For `oci://` stores: ocicrypt images encrypted to these public keys (see backupArchive). */
  ocicryptTo?: readonly KeyObject[];
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

export async function backupPods(store: Store, options: BackupPodsOptions): Promise<PodBackupResult[]> {
  const temp = await makeTempDir('backup', options.env ? { env: options.env } : {});
  try {
    const { encryption, ocicryptTo, ...checkpointOptions } = options;
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
          ...(ocicryptTo ? { ocicryptTo } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          onProgress: transferEvents(
            options.onEvent,
            'upload',
            `${outcome.target.namespace}/${outcome.target.pod}/${outcome.target.container}`,
            outcome.target,
          ),
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
