/**
 * `kcr backup podcheckpoint/NAME`: a KEP-5823 pod-level checkpoint stored like any other backup.
 * The KEP leaves its data on the node; ops' copyPodCheckpoint brings each container's archive
 * off it (sha256 verified) into a private temporary directory, and each is stored with
 * backupArchive, recorded as its container of the source pod (so it joins that container's
 * chain) with the checkpoint's pod template as the Pod object, and labelled with the
 * PodCheckpoint's name.
 */
import type { CopyPodCheckpointOptions, PodCheckpointResult } from '../ops/index.js';
import { copyPodCheckpoint } from '../ops/index.js';
import { makeTempDir } from '../util/temp-dir.js';
import { backupArchive } from './backup-archive.js';
import type { StreamEncryption } from './encryption/types.js';
import type { BackupRecord } from './record.js';
import type { Store } from './stores/store.js';

/** The label each record of a pod-level checkpoint carries: `kcr backups -l kcr.dev/podcheckpoint=NAME`. */
export const POD_CHECKPOINT_LABEL = 'kcr.dev/podcheckpoint';

export interface BackupPodCheckpointOptions extends Omit<CopyPodCheckpointOptions, 'dir'> {
  encryption?: { cipher: StreamEncryption; recipients: readonly string[] };
  onStoreProgress?: (container: string, done: number, total: number) => void;
}

export interface PodCheckpointBackup {
  podCheckpoint: PodCheckpointResult;
  records: BackupRecord[];
}

/** The Pod the checkpoint was taken of, as far as its status tells. */
function podObject(pc: PodCheckpointResult): Record<string, unknown> {
  const template = pc.podCheckpoint.status?.checkpointedPodTemplate;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: pc.pod,
      namespace: pc.namespace,
      ...(pc.podCheckpoint.status?.sourcePodUID ? { uid: pc.podCheckpoint.status.sourcePodUID } : {}),
      ...(template?.metadata ?? {}),
    },
    spec: { ...(template?.spec ?? {}), nodeName: pc.node },
  };
}

export async function backupPodCheckpoint(
  store: Store,
  o: BackupPodCheckpointOptions,
): Promise<PodCheckpointBackup> {
  const temp = await makeTempDir('backup', o.env ? { env: o.env } : {});
  try {
    const { encryption, onStoreProgress, ...copyOptions } = o;
    const copied = await copyPodCheckpoint({ ...copyOptions, dir: temp.dir });
    const pod = podObject(copied);
    const labels = {
      ...(copied.podCheckpoint.status?.checkpointedPodTemplate?.metadata?.labels ?? {}),
      [POD_CHECKPOINT_LABEL]: copied.name,
    };
    const records: BackupRecord[] = [];
    for (const archive of copied.archives) {
      records.push(
        await backupArchive(store, archive.path, {
          podObject: pod,
          labels,
          target: { namespace: copied.namespace, pod: copied.pod, container: archive.container },
          node: copied.node,
          expectedSha256: archive.sha256,
          ...(encryption ? { encryption } : {}),
          ...(o.signal ? { signal: o.signal } : {}),
          onProgress: (done, total) => onStoreProgress?.(archive.container, done, total),
        }),
      );
    }
    const { archives: _a, ...podCheckpoint } = copied;
    return { podCheckpoint, records };
  } finally {
    await temp.remove();
  }
}
