/**
 * The controller's Restore work: a Restore object carried out the way `kcr restore` does it, by
 * ops.restore. A backup is read out of its store into a private temporary directory first (its
 * sha256 checked as it streams) and restored as an archive with the Pod object its record keeps;
 * an image is restored as it is; a KEP-5823 PodCheckpoint as `kcr restore podcheckpoint/NAME`
 * restores it (ops.restorePodCheckpoint). The outcome, the Pod, the method and kcr's error text
 * go to the status.
 */
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { openStore, readBackup, type StoreOptions } from '../backup/index.js';
import { KcrError } from '../errors.js';
import { podSchema } from '../kube/index.js';
import { parseReference, parseRepository, type RegistryOptions } from '../oci/index.js';
import { restore, restorePodCheckpoint, type RestoreOptions, type RestoreResult } from '../ops/index.js';
import { makeTempDir } from '../util/temp-dir.js';
import { errorText, reasonFor, setCondition } from './conditions.js';
import type { KcrApi } from './kcr-api.js';
import type { Metrics } from './metrics.js';
import type { Restore } from './resources.js';

export interface RestoreDeps {
  api: KcrApi;
  /** The kubeconfig the controller runs with, for ops.restore. */
  kubeconfig: Pick<RestoreOptions, 'kubeconfig' | 'context' | 'env' | 'serviceAccountDir'>;
  storeOptions?: StoreOptions;
  registry?: RegistryOptions;
  metrics?: Metrics;
  now(): Date;
  /** Whether to wait for the Pod to run (default true). */
  wait?: boolean;
  timeoutSeconds?: number;
}

export function isPending(r: Restore): boolean {
  return r.status?.phase === undefined || r.status.phase === 'Pending';
}

function sourceCount(r: Restore): number {
  const s = r.spec.source;
  return [s.backup, s.image, s.podCheckpoint].filter((x) => x !== undefined).length;
}

interface Outcome {
  pod: V1Pod;
  node: string;
  running: boolean;
  method: 'image' | 'restoreFrom';
  image?: string;
  warnings: string[];
  /** How it was restored, for the Ready condition's message. */
  how: string;
}

const asOutcome = (result: RestoreResult): Outcome => ({ ...result, method: 'image', how: '' });

/**
 * A PodCheckpoint restored as `kcr restore podcheckpoint/NAME [--to-node]` does it: on its own
 * node by spec.restoreFrom (the KEP's way); on spec.node through a checkpoint image in
 * spec.repository (kcr's way, one container); on spec.node without a repository the API server
 * decides, so an alpha server's refusal reaches the conditions in its own words.
 */
async function fromPodCheckpoint(
  r: Restore,
  base: Omit<RestoreOptions, 'source'>,
  deps: RestoreDeps,
): Promise<Outcome> {
  const name = r.spec.source.podCheckpoint!;
  const namespace = r.metadata.namespace ?? 'default';
  if (r.spec.namespace && r.spec.namespace !== namespace) {
    throw new KcrError(
      'usage',
      `restore ${r.metadata.name}: a PodCheckpoint restores into its own namespace (${namespace}), not ${r.spec.namespace}`,
      { hint: 'leave spec.namespace out (spec.restoreFrom names a PodCheckpoint of the Pod’s namespace)' },
    );
  }
  const done = await restorePodCheckpoint({
    ...deps.kubeconfig,
    name,
    namespace,
    ...(r.spec.name ? { podName: r.spec.name } : {}),
    ...(r.spec.node ? { toNode: r.spec.node } : {}),
    ...(base.repository ? { repository: base.repository } : {}),
    ...(base.registry ? { registry: base.registry } : {}),
    wait: base.wait ?? true,
    ...(base.timeoutSeconds ? { timeoutSeconds: base.timeoutSeconds } : {}),
    knobs: { toNode: 'spec.node', repository: 'spec.repository' },
  });
  const image = done.image;
  return {
    ...(image ? asOutcome(image) : { warnings: [] }),
    ...(r.spec.expose?.length
      ? { warnings: ['spec.expose is not applied to a PodCheckpoint restore: expose its Pod with a Service'] }
      : {}),
    pod: done.pod,
    node: done.node,
    running: done.running,
    method: done.method,
    how:
      done.method === 'restoreFrom'
        ? ` from podcheckpoint ${name} (spec.restoreFrom)`
        : ` from podcheckpoint ${name} through image ${image?.image ?? ''}`,
  };
}

export async function carryOutRestore(r: Restore, deps: RestoreDeps): Promise<Restore> {
  const started = Date.now();
  const namespace = r.metadata.namespace ?? 'default';
  let current = await deps.api.writeStatus('Restore', r, (latest) =>
    isPending(latest)
      ? {
          ...latest.status,
          phase: 'Restoring',
          startTime: deps.now().toISOString(),
          observedGeneration: latest.metadata.generation,
        }
      : undefined,
  );
  if (current.status?.phase !== 'Restoring') return current;
  const temp = await makeTempDir('restore');
  try {
    if (sourceCount(r) !== 1) {
      throw new KcrError(
        'usage',
        `restore ${r.metadata.name}: name exactly one of source.backup, source.image, source.podCheckpoint`,
      );
    }
    const base: Omit<RestoreOptions, 'source'> = {
      ...deps.kubeconfig,
      namespace: r.spec.namespace ?? namespace,
      ...(r.spec.name ? { name: r.spec.name } : {}),
      ...(r.spec.node ? { node: r.spec.node } : {}),
      ...(r.spec.expose ? { expose: r.spec.expose } : {}),
      ...(r.spec.repository ? { repository: parseRepository(r.spec.repository) } : {}),
      ...(deps.registry ? { registry: deps.registry } : {}),
      wait: deps.wait ?? true,
      ...(deps.timeoutSeconds ? { timeoutSeconds: deps.timeoutSeconds } : {}),
    };
    let options: RestoreOptions | undefined;
    const { backup, image } = r.spec.source;
    if (image) {
      options = { ...base, source: { image: parseReference(image) } };
    } else if (backup) {
      if (!r.spec.repository) {
        throw new KcrError(
          'usage',
          `restore ${r.metadata.name}: a backup is restored through a checkpoint image`,
          {
            hint: 'set spec.repository (REGISTRY/REPOSITORY) where the nodes pull it from',
          },
        );
      }
      const store = await openStore(backup.store, deps.storeOptions);
      try {
        const archive = join(temp.dir, 'archive.tar');
        const record = await readBackup(store, backup.id, archive);
        // The Pod object the record keeps, checked as kcr checks every Pod it reads.
        const pod = record.podObject ? podSchema.parse(record.podObject) : undefined;
        options = { ...base, source: { archive, ...(pod ? { pod } : {}) } };
      } finally {
        await store.close();
      }
    }
    const result = options ? asOutcome(await restore(options)) : await fromPodCheckpoint(r, base, deps);
    deps.metrics?.restoreDuration.observe((Date.now() - started) / 1000);
    current = await deps.api.writeStatus('Restore', current, (latest) => ({
      ...latest.status,
      phase: 'Succeeded',
      podName: result.pod.metadata?.name,
      podNamespace: result.pod.metadata?.namespace,
      nodeName: result.node,
      ...(result.image ? { image: result.image } : {}),
      method: result.method,
      completionTime: deps.now().toISOString(),
      conditions: setCondition(
        latest.status?.conditions,
        {
          type: 'Ready',
          status: 'True',
          reason: 'Restored',
          message: `pod ${result.pod.metadata?.name} ${result.running ? 'runs' : 'created'} on ${result.node}${result.how}${result.warnings.length ? `\n${result.warnings.join('\n')}` : ''}`,
        },
        deps.now(),
      ),
    }));
  } catch (err) {
    deps.metrics?.countError(err);
    deps.metrics?.restoreDuration.observe((Date.now() - started) / 1000);
    current = await deps.api.writeStatus('Restore', current, (latest) => ({
      ...latest.status,
      phase: 'Failed',
      completionTime: deps.now().toISOString(),
      conditions: setCondition(
        latest.status?.conditions,
        { type: 'Ready', status: 'False', reason: reasonFor(err), message: errorText(err) },
        deps.now(),
      ),
    }));
  } finally {
    await temp.remove();
  }
  return current;
}
