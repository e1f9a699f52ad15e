/**
 * `kcr restore` against the test cluster and a real registry (docker-registry): the archive is
 * pushed as a checkpoint image, the Pod written from the saved Pod or from spec.dump, and the
 * test cluster applies CRI-O's bind-mount rule to it, as a CRI-O node would.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointArchive, readMetadata, type SpecDump } from '../../src/archive/index.js';
import { rewriteArchive, tempDir } from '../../src/testing/archive-builder.js';
import { crioRestoreFate } from '../../src/testing/kube/crio-restore.js';
import { FIXTURE_ARCHIVE } from '../../src/testing/kube/kubelet-server.js';
import type { PodJson } from '../../src/testing/kube/objects.js';
import { startTestCluster, type TestCluster } from '../../src/testing/kube/test-cluster.js';
import { startRegistry, type TestRegistry } from '../../src/testing/registry.js';
import { runCliCaptured } from '../../src/testing/run-cli.js';

let c: TestCluster;
let registry: TestRegistry;
let fixtureSpec: SpecDump;
const tmp = tempDir('kcr-restore-');

async function specOf(path: string): Promise<SpecDump> {
  const archive = await CheckpointArchive.open(path);
  try {
    return (await readMetadata(archive)).spec;
  } finally {
    await archive.close();
  }
}

beforeAll(async () => {
  [c, registry] = await Promise.all([startTestCluster({ nodes: ['node-1', 'node-2'] }), startRegistry()]);
  await c.addNode('old-node', { runtime: 'containerd://1.7.22' });
  fixtureSpec = await specOf(FIXTURE_ARCHIVE);
});
afterAll(async () => {
  await Promise.all([c?.close(), registry?.stop()]);
  tmp.cleanup();
});

const repo = () => `${registry.host}/checkpoints`;
/** The test registry speaks plain HTTP, so every push there needs --insecure. */
const toTestRegistry = () => ['--registry', repo(), '--insecure'];
let specForImages: SpecDump | undefined;
afterEach(() => {
  c.state.podFate = () => ({ kind: 'running' });
});
function restoreAsCrio(spec: SpecDump = fixtureSpec) {
  specForImages = spec;
  c.state.podFate = crioRestoreFate((image) => (image.startsWith(registry.host) ? specForImages : undefined));
}

function kcr(argv: string[]) {
  return runCliCaptured(argv, { env: { KUBECONFIG: c.kubeconfig, HOME: tmp.dir } });
}

function created(name: string, namespace = 'default'): PodJson {
  const pod = c.state.pods.get(`${namespace}/${name}`);
  if (!pod) throw new Error(`pod ${namespace}/${name} was not created`);
  return pod;
}

/** Checkpoints a running pod with -o, as a user would before restoring. */
async function checkpointed(
  podName: string,
  extra: Partial<Parameters<TestCluster['state']['addPod']>[0]> = {},
): Promise<string> {
  c.state.addPod({
    name: podName,
    node: 'node-1',
    containers: [{ name: 'webserver', ports: [8080] }],
    ...extra,
  });
  // Inside this file's temp directory, which afterAll removes.
  const dir = mkdtempSync(tmp.path('ckpt-'));
  const r = await kcr(['checkpoint', podName, '--output-file', dir, '-o', 'json']);
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as { local: { path: string } }[])[0]!.local.path;
}

describe('restore from an archive', () => {
  it('pushes the checkpoint image, reuses the saved Pod, pins it to --node, waits for Running and exposes it', async () => {
    const archive = await checkpointed('shop', { labels: { app: 'shop', 'pod-template-hash': '7d4f9' } });
    restoreAsCrio();
    const r = await kcr([
      'restore',
      archive,
      ...toTestRegistry(),
      '--name',
      'shop-restored',
      '--node',
      'node-2',
      '--wait',
      '--expose',
      '8080',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`pushing the checkpoint image to ${repo()}:webserver-20261128-160140`);
    const pod = created('shop-restored');
    const image = pod.spec.containers[0]!.image;
    expect(image).toMatch(new RegExp(`^${registry.host}/checkpoints@sha256:[0-9a-f]{64}$`));
    expect(r.stdout).toBe(
      `pod/shop-restored created on node-2 from ${image}\nservice/shop-restored created\npod/shop-restored running\n`,
    );
    expect(pod.spec.nodeName).toBe('node-2');
    expect(pod.metadata.labels).toEqual({
      app: 'shop',
      'kcr.dev/restored-from': 'shop',
      'kcr.dev/restore': 'shop-restored',
    });
    expect(pod.spec.containers[0]!.ports).toEqual([{ containerPort: 8080, protocol: 'TCP' }]);
    const svc = c.state.services.get('default/shop-restored') as unknown as {
      spec: { selector: object; ports: { port: number }[] };
    };
    expect(svc.spec.selector).toEqual({ 'kcr.dev/restore': 'shop-restored' });
    expect(svc.spec.ports.map((p) => p.port)).toEqual([8080]);

    // The registry holds what the Pod names, with the annotation CRI-O looks for.
    const digest = image.split('@')[1]!;
    const res = await fetch(`http://${registry.host}/v2/checkpoints/manifests/${digest}`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(res.status).toBe(200);
    const manifest = (await res.json()) as { annotations: Record<string, string>; layers: unknown[] };
    expect(manifest.annotations['io.kubernetes.cri-o.annotations.checkpoint.name']).toBe('webserver');
    expect(manifest.layers).toHaveLength(1);
  });

  it('writes the Pod from spec.dump when no Pod was saved, and prints it with --dry-run -o yaml', async () => {
    const archive = tmp.path('bare.tar');
    copyFileSync(FIXTURE_ARCHIVE, archive);
    const before = c.state.createdPods.length;
    const r = await kcr([
      'restore',
      archive,
      '--registry',
      repo(),
      '--node',
      'node-1',
      '--expose',
      '8080',
      '--dry-run=client',
      '-o',
      'yaml',
    ]);
    expect(r.code).toBe(0);
    const [pod, service] = parseAllDocuments(r.stdout).map((d) => d.toJS() as Record<string, never>);
    expect(pod).toMatchObject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'webserver', namespace: 'default', labels: { 'kcr.dev/restored-from': 'webserver' } },
      spec: {
        nodeName: 'node-1',
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: 30,
        containers: [
          {
            name: 'webserver',
            image: `${repo()}:webserver-20261128-160140`,
            ports: [{ containerPort: 8080, protocol: 'TCP' }],
            terminationMessagePath: '/dev/termination-log',
          },
        ],
      },
    });
    expect(service).toMatchObject({
      kind: 'Service',
      spec: { selector: { 'kcr.dev/restore': 'webserver' }, ports: [{ port: 8080 }] },
    });
    expect(c.state.createdPods.length).toBe(before);
  });

  it('mounts every volume the container had, so that CRI-O accepts the restore', async () => {
    const withData = {
      ...fixtureSpec,
      mounts: [
        ...(fixtureSpec.mounts ?? []),
        {
          destination: '/data',
          type: 'bind',
          source: '/var/lib/kubelet/pods/efb3355b/volumes/kubernetes.io~empty-dir/data',
          options: ['rbind', 'rprivate', 'rw'],
        },
      ],
    };
    const archive = await rewriteArchive(FIXTURE_ARCHIVE, tmp.path('with-data.tar'), {
      replace: { 'spec.dump': Buffer.from(JSON.stringify(withData)) },
    });
    restoreAsCrio(withData);
    const r = await kcr([
      'restore',
      archive,
      ...toTestRegistry(),
      '--node',
      'node-1',
      '--name',
      'with-data',
      '--wait',
    ]);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    const pod = created('with-data');
    expect(pod.spec.volumes).toEqual([{ name: 'data', emptyDir: {} }]);
    expect(pod.spec.containers[0]!.volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }]);
  });

  it("reports CRI-O's CreateContainerError with the Pod's events and what to change", async () => {
    const withData = {
      ...fixtureSpec,
      mounts: [
        ...(fixtureSpec.mounts ?? []),
        {
          destination: '/data',
          type: 'bind',
          source: '/var/lib/kubelet/pods/efb3355b/volumes/kubernetes.io~empty-dir/data',
        },
      ],
    };
    const archive = await rewriteArchive(FIXTURE_ARCHIVE, tmp.path('mismatch.tar'), {
      replace: { 'spec.dump': Buffer.from(JSON.stringify(withData)) },
    });
    // A saved Pod that lacks the /data volume, as if it belonged to another version of the workload.
    const saved = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'mismatch', namespace: 'default' },
      spec: { nodeName: 'node-1', containers: [{ name: 'webserver', image: 'localhost/nginx:latest' }] },
    };
    writeFileSync(`${archive}.pod.json`, JSON.stringify(saved));
    restoreAsCrio(withData);
    const r = await kcr(['restore', archive, '--registry', repo(), '--insecure', '--wait']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /error: pod default\/mismatch did not restore: CreateContainerError: restoring "127\.0\.0\.1:\d+\/checkpoints@sha256:[0-9a-f]+" expects following bind mounts defined \(\/data\)/,
    );
    expect(r.stderr).toContain('(events: Failed: Error: restoring');
    expect(r.stderr).toContain('hint: the Pod must mount every path the checkpointed container had mounted');
  });

  it('explains an image the node cannot pull', async () => {
    const archive = await checkpointed('pull-fails');
    c.state.podFate = () => ({
      kind: 'waiting',
      reason: 'ErrImagePull',
      message: 'pinging container registry 127.0.0.1: http: server gave HTTP response to HTTPS client',
    });
    const r = await kcr(['restore', archive, ...toTestRegistry(), '--name', 'pull-fails-2', '--wait']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ErrImagePull: pinging container registry');
    expect(r.stderr).toContain('cannot pull');
    expect(r.stderr).toContain('/etc/containers/registries.conf');
  });

  it('drops the nodeSelector that pinned the pod to its old node, so the new node admits it, and says so', async () => {
    const archive = await checkpointed('pinned', {
      spec: { nodeSelector: { 'kubernetes.io/hostname': 'node-1', 'kubernetes.io/os': 'linux' } },
    });
    restoreAsCrio();
    const r = await kcr([
      'restore',
      archive,
      ...toTestRegistry(),
      '--name',
      'pinned-moved',
      '--node',
      'node-2',
      '--wait',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'warning: the saved pod was pinned to node-1 (kubernetes.io/hostname=node-1); that pin is dropped for node-2',
    );
    const pod = created('pinned-moved');
    expect(pod.spec.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(pod.status.phase).toBe('Running');
  });

  it('refuses a node that lacks a label the pod requires, before pushing anything', async () => {
    c.state.nodes.get('node-1')!.labels.disktype = 'ssd';
    try {
      const archive = await checkpointed('needs-ssd', { spec: { nodeSelector: { disktype: 'ssd' } } });
      const before = c.state.createdPods.length;
      const r = await kcr(['restore', archive, '--registry', repo(), '--insecure', '--node', 'node-2']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        "error: node node-2 does not match the saved pod's node constraints: disktype=ssd",
      );
      expect(r.stderr).toContain('hint: pick a --node that does (`kubectl get nodes -l disktype=ssd`)');
      expect(r.stderr).not.toContain('pushing');
      expect(c.state.createdPods.length).toBe(before);
    } finally {
      delete c.state.nodes.get('node-1')!.labels.disktype;
    }
  });

  it('refuses an invalid --name before pushing anything', async () => {
    const archive = await checkpointed('bad-name');
    const before = c.state.createdPods.length;
    const r = await kcr(['restore', archive, '--registry', repo(), '--insecure', '--name', 'Shop_Restored']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: --name Shop_Restored: not a valid pod name');
    expect(r.stderr).not.toContain('pushing');
    expect(c.state.createdPods.length).toBe(before);
  });

  it('gives a long pod name label values and a Service name the API server accepts', async () => {
    const long = `shop-${'x'.repeat(80)}.example`;
    const archive = await checkpointed(long);
    const r = await kcr([
      'restore',
      archive,
      ...toTestRegistry(),
      '--node',
      'node-2',
      '-n',
      'long-names',
      '--expose',
      '8080',
    ]);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    const pod = created(long, 'long-names');
    const labels = pod.metadata.labels!;
    expect(labels['kcr.dev/restore']).toMatch(/^shop-x+-[0-9a-f]{8}$/);
    expect(labels['kcr.dev/restore']!.length).toBeLessThanOrEqual(63);
    const [svcName, svc] = [...c.state.services.entries()].find(([, s]) =>
      JSON.stringify(s.spec).includes(labels['kcr.dev/restore']!),
    )!;
    expect(svcName).toMatch(/^long-names\/shop-x+-[0-9a-f]{8}$/);
    expect((svc.spec as { selector: object }).selector).toEqual({
      'kcr.dev/restore': labels['kcr.dev/restore'],
    });
    expect(r.stdout).toContain(`service/${svcName.split('/')[1]} created`);
  });

  it('deletes the new pod again when its Service cannot be created', async () => {
    const archive = await checkpointed('svc-taken');
    c.state.services.set('default/svc-taken-2', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'svc-taken-2',
        namespace: 'default',
        uid: 'u',
        resourceVersion: '1',
        creationTimestamp: '',
      },
    });
    const r = await kcr([
      'restore',
      archive,
      ...toTestRegistry(),
      '--name',
      'svc-taken-2',
      '--expose',
      '8080',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: service default/svc-taken-2: services "svc-taken-2" already exists');
    expect(r.stderr).toContain('hint: the pod default/svc-taken-2 was deleted again');
    expect(c.state.pods.has('default/svc-taken-2')).toBe(false);
    expect(c.state.deletedPods).toContain('default/svc-taken-2');
  });

  it('refuses a node whose runtime cannot restore', async () => {
    const archive = await checkpointed('to-old-node');
    const r = await kcr(['restore', archive, '--registry', repo(), '--insecure', '--node', 'old-node']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'error: node old-node cannot restore checkpoints: containerd 1.7.22 has no CRI checkpoint support; it arrived in containerd 2.0',
    );
  });

  it('says when a pod of that name exists', async () => {
    const archive = await checkpointed('exists');
    const r = await kcr(['restore', archive, '--registry', repo(), '--insecure']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: pod default/exists: pods "exists" already exists');
    expect(r.stderr).toContain('hint: pick another name with --name');
  });

  it('needs --node when nothing says where the container ran', async () => {
    const archive = tmp.path('nowhere.tar');
    copyFileSync(FIXTURE_ARCHIVE, archive);
    const r = await kcr(['restore', archive, '--registry', repo(), '--dry-run']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('hint: pass --node NODE');
  });

  it('names the field of a saved Pod that does not hold one', async () => {
    const archive = tmp.path('bad-saved.tar');
    copyFileSync(FIXTURE_ARCHIVE, archive);
    const saved = { kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [{ image: 'nginx' }] } };
    writeFileSync(`${archive}.pod.json`, JSON.stringify(saved));
    const r = await kcr(['restore', archive, '--registry', repo(), '--node', 'node-1', '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${archive}.pod.json: spec.containers[0].name is missing`);
    expect(r.stderr).toContain('hint: move the damaged file away to restore from spec.dump');
  });

  it('needs --registry for an archive', async () => {
    const r = await kcr(['restore', FIXTURE_ARCHIVE, '--node', 'node-1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('needs --registry REGISTRY/REPOSITORY');
  });
});

describe('restore to a registry with TLS and a password', () => {
  let secure: TestRegistry;
  beforeAll(async () => {
    secure = await startRegistry({ tls: true, auth: { username: 'ci', password: 's3cret' } });
  });
  afterAll(() => secure?.stop());

  it('pushes with --username/--password-stdin and --ca-file, as kcr image push does', async () => {
    const archive = tmp.path('secure.tar');
    copyFileSync(FIXTURE_ARCHIVE, archive);
    const argv = [
      'restore',
      archive,
      '--registry',
      `${secure.host}/ckpt`,
      '--node',
      'node-1',
      '--name',
      'secure',
    ];
    const r = await runCliCaptured(
      [...argv, '--username', 'ci', '--password-stdin', '--ca-file', secure.ca!.caCert],
      {
        env: { KUBECONFIG: c.kubeconfig, HOME: tmp.dir },
        stdin: 's3cret\n',
      },
    );
    expect(r.code).toBe(0);
    expect(created('secure').spec.containers[0]!.image).toMatch(new RegExp(`^${secure.host}/ckpt@sha256:`));
    const denied = await runCliCaptured([...argv, '--name', 'secure-2', '--ca-file', secure.ca!.caCert], {
      env: { KUBECONFIG: c.kubeconfig, HOME: tmp.dir },
    });
    expect(denied.code).toBe(2);
    expect(c.state.pods.has('default/secure-2')).toBe(false);
  });
});

describe('restore from a checkpoint image', () => {
  it("reads the archive from the image's layer and pins the Pod to the image digest", async () => {
    const archive = tmp.path('for-image.tar');
    copyFileSync(FIXTURE_ARCHIVE, archive);
    const pushed = await kcr([
      'restore',
      archive,
      '--registry',
      `${repo()}:for-image`,
      '--insecure',
      '--node',
      'node-1',
      '--name',
      'first',
    ]);
    expect(pushed.code).toBe(0);
    const image = created('first').spec.containers[0]!.image;
    const r = await kcr([
      'restore',
      `${repo()}:for-image`,
      '--insecure',
      '--node',
      'node-2',
      '--name',
      'second',
      '--dry-run',
      '-o',
      'json',
    ]);
    expect(r.stderr).toBe(`pulling the checkpoint from ${image}\n`);
    expect(r.code).toBe(0);
    const pod = JSON.parse(r.stdout) as {
      spec: { nodeName: string; containers: { name: string; image: string }[] };
    };
    expect(pod.spec.nodeName).toBe('node-2');
    expect(pod.spec.containers).toMatchObject([{ name: 'webserver', image }]);
    expect(readFileSync(archive).length).toBeGreaterThan(0);
  });

  it("reads the image's manifest first: the source node comes from its annotation, and a bad node or kubeconfig fails before the layer is pulled", async () => {
    // A layer of its own (one extra member), so that damaging it below touches no other test's image.
    const archive = await rewriteArchive(FIXTURE_ARCHIVE, tmp.path('layered.tar'), {
      add: [{ name: 'kcr-test-nonce', data: randomBytes(16) }],
    });
    writeFileSync(
      `${archive}.pod.json`,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'layered', namespace: 'default' },
        spec: { nodeName: 'node-1', containers: [{ name: 'webserver', image: 'localhost/nginx:latest' }] },
      }),
    );
    const ref = `${repo()}:layered`;
    const pushed = await kcr([
      'restore',
      archive,
      '--registry',
      ref,
      '--insecure',
      '--node',
      'node-2',
      '--name',
      'layered-1',
    ]);
    expect(pushed.code).toBe(0);

    // No --node: the image says it was checkpointed on node-1 (the saved Pod's node, not node-2).
    const dry = await kcr(['restore', ref, '--insecure', '--name', 'layered-2', '--dry-run', '-o', 'json']);
    expect(dry.code).toBe(0);
    expect((JSON.parse(dry.stdout) as { spec: { nodeName: string } }).spec.nodeName).toBe('node-1');

    // Damage the stored layer: a pull would now fail on its digest, so these errors prove none happened.
    const layer = registry.blobFile(
      `sha256:${createHash('sha256').update(readFileSync(archive)).digest('hex')}`,
    );
    const bytes = readFileSync(layer);
    bytes[5000] = bytes[5000]! ^ 0xff;
    writeFileSync(layer, bytes);
    const toOldNode = await kcr(['restore', ref, '--insecure', '--node', 'old-node']);
    expect(toOldNode.code).toBe(2);
    expect(toOldNode.stderr).toContain('error: node old-node cannot restore checkpoints');
    expect(toOldNode.stderr).not.toContain('pulling');
    const noKubeconfig = await kcr(['restore', ref, '--insecure', '--kubeconfig', tmp.path('missing.yaml')]);
    expect(noKubeconfig.code).toBe(2);
    expect(noKubeconfig.stderr).toContain('no such kubeconfig file');
    const pulled = await kcr(['restore', ref, '--insecure', '--name', 'layered-3']);
    expect(pulled.code).toBe(2);
    expect(pulled.stderr).toMatch(/expected sha256:[0-9a-f]{64}, got sha256:/);
  });

  it('refuses an image that is not a checkpoint, from its manifest', async () => {
    const archive = tmp.path('plain-layer.tar');
    copyFileSync(FIXTURE_ARCHIVE, archive);
    const ref = `${registry.host}/plain:v1`;
    // An ordinary image: a manifest without any checkpoint annotation.
    const config = Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
    );
    const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
    const upload = await fetch(`http://${registry.host}/v2/plain/blobs/uploads/`, { method: 'POST' });
    const location = new URL(upload.headers.get('location')!, `http://${registry.host}`);
    location.searchParams.set('digest', configDigest);
    expect((await fetch(location, { method: 'PUT', body: config })).status).toBe(201);
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: configDigest,
        size: config.length,
      },
      layers: [],
    };
    const put = await fetch(`http://${registry.host}/v2/plain/manifests/v1`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      body: JSON.stringify(manifest),
    });
    expect(put.status).toBe(201);
    const r = await kcr(['restore', ref, '--insecure', '--node', 'node-1', '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${ref}: not a checkpoint image`);
  });

  it('names a reference that is neither a file nor in the registry', async () => {
    const r = await kcr(['restore', `${repo()}:missing`, '--insecure', '--node', 'node-1', '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing/);
  });
});
