/**
 * `kcr restore BACKUP_ID` and `kcr restore --latest --pod P`: a backup chosen from the catalog is
 * read back (decrypted with --identity) and restored through the same path as an archive, against
 * the test cluster and a real registry (docker-registry).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../src/testing/archive-builder.js';
import { kcrWithHome, WEB_1, WEB_2 } from '../../src/testing/backup-cli.js';
import { fixture } from '../../src/testing/fixtures.js';
import { FIXTURE_ARCHIVE } from '../../src/testing/kube/kubelet-server.js';
import { startTestCluster, type TestCluster } from '../../src/testing/kube/test-cluster.js';
import { startRegistry, type TestRegistry } from '../../src/testing/registry.js';

let c: TestCluster;
let registry: TestRegistry;
const tmp = tempDir('kcr-restore-backup-');

beforeAll(async () => {
  [c, registry] = await Promise.all([startTestCluster({ nodes: ['node-1', 'node-2'] }), startRegistry()]);
});
afterAll(async () => {
  await Promise.all([c?.close(), registry?.stop()]);
  tmp.cleanup();
});

const kcr = kcrWithHome(tmp.path('home'), tmp.dir);
const cluster = () => ['--kubeconfig', c.kubeconfig];
const toRegistry = () => ['--registry', `${registry.host}/checkpoints`, '--insecure'];

async function layerOf(image: string, repository = 'checkpoints'): Promise<Buffer> {
  const digest = image.split('@')[1]!;
  const manifest = (await (
    await fetch(`http://${registry.host}/v2/${repository}/manifests/${digest}`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    })
  ).json()) as { layers: { digest: string }[] };
  const blob = await fetch(`http://${registry.host}/v2/${repository}/blobs/${manifest.layers[0]!.digest}`);
  return Buffer.from(await blob.arrayBuffer());
}

describe('kcr restore BACKUP_ID', () => {
  it('restores an encrypted backup of a running pod with --identity, from its saved Pod, byte-exact', async () => {
    c.state.addPod({
      name: 'shop',
      node: 'node-2',
      labels: { app: 'shop' },
      containers: [{ name: 'webserver', ports: [8080] }],
    });
    const stored = await kcr(
      'backup',
      'shop',
      ...cluster(),
      '--encrypt-to',
      fixture('keys', 'age-recipient.txt'),
      '-o',
      'json',
    );
    expect(stored.stderr).toBe('');
    const [{ id }] = JSON.parse(stored.stdout) as [{ id: string }];

    const before = c.state.createdPods.length;
    const locked = await kcr('restore', id, ...cluster(), ...toRegistry(), '--name', 'shop-back');
    expect(locked.code).toBe(1);
    expect(locked.stderr).toMatch(/^error: backup .* is encrypted \(age, to age1.*\)\nhint: .*--identity/);
    const wrong = await kcr(
      'restore',
      id,
      ...cluster(),
      ...toRegistry(),
      '--identity',
      fixture('keys', 'age-other.txt'),
    );
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^error: none of the given identities can decrypt this data/);
    expect(c.state.createdPods.length).toBe(before);

    const r = await kcr(
      'restore',
      id,
      ...cluster(),
      ...toRegistry(),
      '--name',
      'shop-back',
      '--identity',
      fixture('keys', 'age-identity.txt'),
    );
    expect(r.stderr).toContain(`pushing the checkpoint image to ${registry.host}/checkpoints:`);
    expect(r.code).toBe(0);
    const pod = c.state.pods.get('default/shop-back')!;
    // The record's saved Pod decides the node and the labels, as `kcr restore ARCHIVE` with ARCHIVE.pod.json does.
    expect(pod.spec.nodeName).toBe('node-2');
    expect(pod.metadata.labels).toMatchObject({ app: 'shop', 'kcr.dev/restored-from': 'shop' });
    const image = pod.spec.containers[0]!.image;
    expect(r.stdout).toBe(`pod/shop-back created on node-2 from ${image}\n`);
    // What the node pulls is the plaintext archive, not the ciphertext in the store.
    expect((await layerOf(image)).equals(readFileSync(FIXTURE_ARCHIVE))).toBe(true);
  });

  it('restores a backup in an oci:// store from its image as it is, as kcr restore IMAGE does: nothing pushed', async () => {
    c.state.addPod({ name: 'cart', node: 'node-1', containers: [{ name: 'webserver', ports: [8080] }] });
    const url = `oci://${registry.host}/backups`;
    const stored = await kcr('backup', 'cart', ...cluster(), '--store', url, '-o', 'json');
    expect(stored.stderr).toBe('');
    const [{ id }] = JSON.parse(stored.stdout) as [{ id: string }];
    const r = await kcr('restore', id, ...cluster(), '--name', 'cart-back');
    expect(r.code).toBe(0);
    const image = c.state.pods.get('default/cart-back')!.spec.containers[0]!.image;
    expect(image).toMatch(new RegExp(`^${registry.host}/backups@sha256:[0-9a-f]{64}$`));
    expect(r.stderr).toBe(`pulling the checkpoint from ${image}\n`);
    expect(r.stdout).toBe(`pod/cart-back created on node-1 from ${image}\n`);
    expect((await layerOf(image, 'backups')).equals(readFileSync(FIXTURE_ARCHIVE))).toBe(true);
  });

  it('keeps a pod encrypted to a PEM key as an ocicrypt image in an oci:// store, and restores it with --identity', async () => {
    c.state.addPod({ name: 'vault', node: 'node-2', containers: [{ name: 'webserver', ports: [8080] }] });
    const url = `oci://${registry.host}/secure`;
    const stored = await kcr(
      'backup',
      'vault',
      ...cluster(),
      '--store',
      url,
      '--encrypt-to',
      fixture('keys', 'ocicrypt-ec.pub.pem'),
      '-o',
      'json',
    );
    expect(stored.stderr).toBe('');
    const [{ id }] = JSON.parse(stored.stdout) as [{ id: string }];
    const record = JSON.parse((await kcr('backup', 'get', id, '-o', 'json')).stdout) as {
      encryption: { format: string; recipients: string[] };
    };
    expect(record.encryption).toEqual({
      format: 'ocicrypt',
      recipients: [expect.stringMatching(/^sha256:/)],
    });

    const locked = await kcr('restore', id, ...cluster(), '--name', 'vault-back');
    expect(locked.code).not.toBe(0);
    expect(locked.stderr).toMatch(/^(pulling .*\n)?error: .*\nhint: /);
    const r = await kcr(
      'restore',
      id,
      ...cluster(),
      '--name',
      'vault-back',
      '--identity',
      fixture('keys', 'ocicrypt-ec.pem'),
    );
    expect(r.code).toBe(0);
    const image = c.state.pods.get('default/vault-back')!.spec.containers[0]!.image;
    expect(image).toMatch(new RegExp(`^${registry.host}/secure@sha256:[0-9a-f]{64}$`));
    expect(c.state.pods.get('default/vault-back')!.spec.nodeName).toBe('node-2');
  });

  it('refuses a backup id the catalog does not know, naming the way out', async () => {
    const r = await kcr('restore', '20261206t000000z-00000000', ...cluster(), ...toRegistry());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^error: backup 20261206t000000z-00000000 is not in the catalog\nhint: .*kcr backups/,
    );
  });
});

describe('kcr restore --latest', () => {
  it('picks the newest backup of the pod and container from the catalog', async () => {
    for (const archive of [WEB_1, WEB_2]) expect((await kcr('backup', archive)).code).toBe(0);
    const r = await kcr(
      'restore',
      '--latest',
      '--pod',
      'webserver',
      '-n',
      'default',
      '--node',
      'node-1',
      ...cluster(),
      ...toRegistry(),
      '--dry-run',
      '-o',
      'json',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // WEB_2 was checkpointed at 16:03:10, WEB_1 at 16:01:40: the image tag says which was restored.
    const pod = JSON.parse(r.stdout) as { spec: { containers: { image: string }[] } };
    expect(pod.spec.containers[0]!.image).toBe(`${registry.host}/checkpoints:webserver-20261128-160310`);
  });

  it.each([
    [['--latest'], /^error: --latest needs --pod POD\nhint: /],
    [
      ['--latest', '--pod', 'nobody', '-n', 'default'],
      /^error: no backup of default\/nobody in the catalog\nhint: /,
    ],
    [['--pod', 'webserver'], /^error: --pod chooses a backup with --latest\nhint: /],
    [[], /^error: kcr restore needs what to restore\nhint: /],
  ])('refuses %j with one error and a hint', async (argv, message) => {
    const r = await kcr('restore', ...argv, ...toRegistry());
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });
});
