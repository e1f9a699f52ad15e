/**
 * What CRI-O checks when the kubelet creates a container from a checkpoint image
 * (docs/checkpoint-format.md §E.4), as a pod fate for the test cluster: every bind mount of the
 * checkpointed container (less those the runtime provides) must be mounted again, else
 * CreateContainerError with CRI-O's message. The kubelet itself adds /etc/hosts, the
 * termination log and the service account token, so those count as mounted.
 */
import type { SpecDump } from '../../archive/index.js';
import { CRIO_IGNORED_MOUNTS } from '../../kube/restore-manifest.js';
import type { PodFate } from './cluster-state.js';
import type { PodJson } from './objects.js';

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

export function missingBindMounts(spec: SpecDump, pod: PodJson, container: string): string[] {
  const c = pod.spec.containers.find((x) => x.name === container);
  const provided = new Set((c?.volumeMounts ?? []).map((m) => m.mountPath));
  provided.add('/etc/hosts');
  provided.add(c?.terminationMessagePath ?? '/dev/termination-log');
  if (pod.spec.automountServiceAccountToken !== false) provided.add(SERVICE_ACCOUNT);
  return (spec.mounts ?? [])
    .map((m) => m.destination)
    .filter((d) => !CRIO_IGNORED_MOUNTS.has(d) && !provided.has(d));
}

/** A pod fate: containers whose image `specFor` recognises are restored, or fail as CRI-O would. */
export function crioRestoreFate(specFor: (image: string) => SpecDump | undefined): (pod: PodJson) => PodFate {
  return (pod) => {
    for (const c of pod.spec.containers) {
      const spec = specFor(c.image);
      if (!spec) continue;
      const missing = missingBindMounts(spec, pod, c.name);
      if (missing.length > 0) {
        return {
          kind: 'waiting',
          container: c.name,
          reason: 'CreateContainerError',
          message: `restoring "${c.image}" expects following bind mounts defined (${missing.join(',')})`,
        };
      }
    }
    return { kind: 'running' };
  };
}
