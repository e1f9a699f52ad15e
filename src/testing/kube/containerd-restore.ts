/**
 * What containerd 2.x does when the kubelet creates a container whose image is a checkpoint image
 * (docs/checkpoint-format.md §E.5, containerd's CRImportCheckpoint), as a pod fate for the test
 * cluster's containerd nodes. The image is read from the (real) test registry as the node would
 * pull it: the manifest's annotations decide whether it is a checkpoint, then the layer's root is
 * read as containerd reads the mounted image. Failures carry containerd's own words, as the
 * kubelet reports them (CreateContainerError). Written from containerd's behaviour, not from
 * kcr's checks, so that a test of kcr against it can fail.
 */
import { indexTar } from '../../archive/tar-index.js';
import type { FakeNode, PodFate } from './cluster-state.js';
import type { PodJson } from './objects.js';

const CHECKPOINT_ANNOTATION = 'org.criu.checkpoint.container.name';

export interface ContainerdConfig {
  /** `enable_experimental_restore_via_create` (default false from containerd 2.2.7 and 2.3.4). */
  enableExperimentalRestoreViaCreate: boolean;
}

interface Manifest {
  annotations?: Record<string, string>;
  layers?: { digest: string }[];
}

async function registryGet(url: string, accept?: string): Promise<Response> {
  const res = await fetch(url, accept ? { headers: { accept } } : {});
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return res;
}

/** `HOST/REPO@sha256:…` or `HOST/REPO:TAG` of the test registry, as URLs of its distribution API. */
function splitImage(image: string): { host: string; repo: string; ref: string } {
  const slash = image.indexOf('/');
  const host = image.slice(0, slash);
  const rest = image.slice(slash + 1);
  const at = rest.indexOf('@');
  if (at >= 0) return { host, repo: rest.slice(0, at), ref: rest.slice(at + 1) };
  const colon = rest.lastIndexOf(':');
  return colon >= 0
    ? { host, repo: rest.slice(0, colon), ref: rest.slice(colon + 1) }
    : { host, repo: rest, ref: 'latest' };
}

/** containerd's answer for one container, or undefined when it would start. */
async function createContainer(image: string, config: ContainerdConfig): Promise<string | undefined> {
  const { host, repo, ref } = splitImage(image);
  const manifest = (await (
    await registryGet(
      `http://${host}/v2/${repo}/manifests/${ref}`,
      'application/vnd.oci.image.manifest.v1+json',
    )
  ).json()) as Manifest;
  if (manifest.annotations?.[CHECKPOINT_ANNOTATION] === undefined) {
    // Not a checkpoint to containerd: a plain image whose config has no command.
    return 'failed to generate container spec: no command specified';
  }
  if (!config.enableExperimentalRestoreViaCreate) {
    return 'checkpoint restore via CreateContainer is disabled by configuration';
  }
  // The test's layers are small: read whole, indexed in memory, never written out.
  const digest = manifest.layers?.[0]?.digest ?? '';
  const layer = Buffer.from(
    await (await registryGet(`http://${host}/v2/${repo}/blobs/${digest}`)).arrayBuffer(),
  );
  const members = await indexTar(async (at, length) => layer.subarray(at, at + length), layer.length, image);
  const byName = new Map(members.map((m) => [m.name, m]));
  const mount = '/var/lib/containerd/tmpmounts/checkpoint';
  for (const file of ['spec.dump', 'config.dump', 'status.dump']) {
    if (byName.get(file)?.type !== 'file')
      return `failed to read "${file}": open ${mount}/${file}: no such file or directory`;
  }
  const special = members.find((m) => m.type !== 'file' && m.type !== 'dir');
  if (special)
    return `unsupported file type for ${special.name}: only regular files and directories can be restored`;
  const dump = byName.get('config.dump')!;
  const dumped = JSON.parse(layer.subarray(dump.offset, dump.offset + dump.size).toString('utf8')) as Record<
    string,
    unknown
  >;
  if (typeof dumped.rootfsImageRef !== 'string' || dumped.rootfsImageRef === '')
    return 'failed to pull checkpoint base image : failed to resolve reference "": invalid reference format';
  return undefined;
}

/** Images of a registry on this machine (`127.0.0.1:PORT/…`), which the fate pulls like a node. */
const LOCAL_REGISTRY = /^(127\.0\.0\.1|localhost):\d+\//;

/**
 * A pod fate for pods on containerd nodes (`containerd://…`, with the node's `containerd` settings);
 * other pods get `otherwise`. Images that are not in a registry on this machine are ordinary ones
 * and start.
 */
export function containerdRestoreFate(
  state: { nodes: Map<string, FakeNode> },
  otherwise: (pod: PodJson) => PodFate | Promise<PodFate> = () => ({ kind: 'running' }),
): (pod: PodJson) => PodFate | Promise<PodFate> {
  return async (pod) => {
    const node = state.nodes.get(pod.spec.nodeName ?? '');
    if (!node?.runtime.startsWith('containerd://')) return otherwise(pod);
    const config = { enableExperimentalRestoreViaCreate: false, ...node.containerd };
    for (const c of pod.spec.containers) {
      if (!LOCAL_REGISTRY.test(c.image)) continue;
      const error = await createContainer(c.image, config);
      if (error)
        return { kind: 'waiting', container: c.name, reason: 'CreateContainerError', message: error };
    }
    return { kind: 'running' };
  };
}
