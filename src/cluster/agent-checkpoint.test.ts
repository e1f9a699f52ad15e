/**
 * The agent's work for one Checkpoint, against the test cluster's kubelet (real HTTPS, the agent's
 * bearer token authorized for nodes/checkpoint), the real CRI-O archive it writes, and real
 * stores: a file:// store and s3rver, encrypted with age, and a real registry (oci://), encrypted
 * as an ocicrypt image that skopeo opens.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateX25519Identity, ageEncryption } from '../backup/encryption/index.js';
import { openStore, readBackup, OciStore, backupTag, type BackupRecord } from '../backup/index.js';
import { DirectKubelet, KubeClient } from '../kube/index.js';
import { fixture } from '../testing/fixtures.js';
import { startRegistry, type TestRegistry } from '../testing/registry.js';
import { startS3, type TestS3 } from '../testing/s3.js';
import { tool } from '../testing/tools.js';
import { FIXTURE_ARCHIVE } from '../testing/kube/kubelet-server.js';
import { startTestCluster, type TestCluster } from '../testing/kube/test-cluster.js';
import {
  carryOutCheckpoint,
  localArchivePath,
  StoreCache,
  type AgentDeps,
  type PodObject,
} from './agent-checkpoint.js';
import { Metrics } from './metrics.js';
import type { Checkpoint, CheckpointStatus } from './resources.js';

const AGENT_USER = 'system:serviceaccount:kcr-system:kcr-agent';
let cluster: TestCluster;
let s3: TestS3;
let registry: TestRegistry;
let work: string;
let tokenFile: string;
const FIXTURE_SHA = createHash('sha256').update(readFileSync(FIXTURE_ARCHIVE)).digest('hex');

beforeAll(async () => {
  [cluster, s3, registry] = await Promise.all([
    startTestCluster({ nodes: ['node-a', 'node-b'] }),
    startS3('kcr-agent'),
    startRegistry(),
  ]);
  work = await mkdtemp(join(tmpdir(), 'kcr-agent-test-'));
  tokenFile = join(work, 'token');
  await writeFile(tokenFile, 'agent-token-1\n');
  cluster.state.tokens.set('agent-token-1', AGENT_USER);
  cluster.state.addUser(AGENT_USER, ['system:serviceaccounts']);
  for (const node of cluster.state.nodes.values()) node.checkpointUsers.add(AGENT_USER);
  cluster.state.addPod({
    name: 'web',
    namespace: 'shop',
    node: 'node-a',
    containers: [{ name: 'app' }, { name: 'sidecar' }],
    labels: { app: 'web' },
  });
});
afterAll(async () => {
  await Promise.all([cluster?.close(), s3?.close(), registry?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

function checkpointObject(spec: Partial<Checkpoint['spec']> = {}, name = 'web-now'): Checkpoint {
  return {
    apiVersion: 'kcr.dev/v1alpha1',
    kind: 'Checkpoint',
    metadata: { name, namespace: 'shop', generation: 1, resourceVersion: '1' },
    spec: { pod: 'web', nodeName: 'node-a', ...spec },
  };
}

async function agentFor(node: string, overrides: Partial<AgentDeps> = {}) {
  const kubelet = await DirectKubelet.create(
    node,
    `https://127.0.0.1:${cluster.state.nodes.get(node)!.kubeletPort}`,
    {
      caCert: cluster.pki.ca.certFile,
      tokenFile,
    },
  );
  const client = KubeClient.fromKubeconfig({ kubeconfig: cluster.kubeconfig });
  const statuses: CheckpointStatus[] = [];
  const metrics = new Metrics({ processMetrics: false });
  const deps: AgentDeps = {
    node,
    kubelet,
    hostRoot: cluster.state.nodes.get(node)!.root,
    checkpointDir: '/var/lib/kubelet/checkpoints',
    readPod: async (ns, name) => {
      const res = await client.raw('GET', `/api/v1/namespaces/${ns}/pods/${name}`, { timeoutMs: 5000 });
      return JSON.parse(res.body) as PodObject;
    },
    writeStatus: async (cp, status) => {
      statuses.push(structuredClone(status));
      return { ...cp, status };
    },
    stores: new StoreCache({ endpoint: s3.endpoint, pathStyle: true }),
    metrics,
    ...overrides,
  };
  return { deps, statuses, metrics };
}

describe('carryOutCheckpoint', () => {
  it('checkpoints every container through the kubelet with the agent token and stores each archive in S3, encrypted', async () => {
    const { identity, recipient } = generateX25519Identity();
    const { deps, statuses, metrics } = await agentFor('node-a');
    const kubelet = cluster.kubelets.get('node-a')!;
    const before = kubelet.calls.length;
    const result = await carryOutCheckpoint(
      checkpointObject({ store: `s3://${s3.bucket}/cluster`, encryption: { recipients: [recipient] } }),
      deps,
    );
    expect(result).toBe('done');
    expect(kubelet.calls.slice(before).map((c) => [c.path, c.user])).toEqual([
      ['/checkpoint/shop/web/app', AGENT_USER],
      ['/checkpoint/shop/web/sidecar', AGENT_USER],
    ]);
    expect(statuses.map((s) => s.phase)).toEqual(['Checkpointing', 'Storing', 'Storing', 'Succeeded']);
    const final = statuses.at(-1)!;
    expect(final.conditions?.map((c) => [c.type, c.status])).toEqual([
      ['Checkpointed', 'True'],
      ['Stored', 'True'],
      ['Ready', 'True'],
    ]);
    expect(final.containers?.map((c) => [c.name, c.size, c.sha256, c.archiveRemoved])).toEqual([
      ['app', readFileSync(FIXTURE_ARCHIVE).length, FIXTURE_SHA, true],
      ['sidecar', readFileSync(FIXTURE_ARCHIVE).length, FIXTURE_SHA, true],
    ]);
    // The node's copies are gone; the store has both, readable only with the identity.
    for (const c of final.containers!) expect(existsSync(localArchivePath(deps, c.archivePath!))).toBe(false);
    const store = await openStore(`s3://${s3.bucket}/cluster`, { endpoint: s3.endpoint, pathStyle: true });
    const records = (await store.list()).filter((e): e is BackupRecord => e.kind === 'Backup');
    expect(
      records.map((r) => [r.source.pod, r.source.container, r.source.node, r.encryption?.recipients]).sort(),
    ).toEqual([
      ['web', 'app', 'node-a', [recipient]],
      ['web', 'sidecar', 'node-a', [recipient]],
    ]);
    const out = join(work, 'back.tar');
    await readBackup(store, final.containers![0]!.backupId!, out, {
      decryption: { cipher: ageEncryption, identities: [identity] },
    });
    expect(createHash('sha256').update(readFileSync(out)).digest('hex')).toBe(FIXTURE_SHA);
    await store.close();
    await deps.stores.close();
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^kcr_checkpoint_bytes_count 2$/m);
    expect(text).toMatch(
      new RegExp(`^kcr_checkpoint_bytes_sum ${2 * readFileSync(FIXTURE_ARCHIVE).length}$`, 'm'),
    );
    expect(text).toMatch(/^kcr_checkpoint_duration_seconds_count 2$/m);
  });

  it('stores into an oci:// store as ocicrypt checkpoint images when the recipients are PEM public keys, which skopeo opens', async () => {
    const pem = readFileSync(fixture('keys', 'ocicrypt-rsa.pub.pem'), 'utf8');
    const url = `oci://${registry.host}/agent-secure`;
    const { deps, statuses } = await agentFor('node-a');
    const result = await carryOutCheckpoint(
      checkpointObject({ store: url, containers: ['app'], encryption: { recipients: [pem] } }, 'web-oci'),
      deps,
    );
    expect(statuses.at(-1)!.conditions!.at(-1)!.message).not.toMatch(/^error|hint:/);
    expect(result).toBe('done');
    const final = statuses.at(-1)!;
    expect(final.containers!.map((c) => [c.name, c.sha256])).toEqual([['app', FIXTURE_SHA]]);
    const store = new OciStore(`${registry.host}/agent-secure`);
    const [record] = (await store.list()).filter((e): e is BackupRecord => e.kind === 'Backup');
    expect(record!.id).toBe(final.containers![0]!.backupId);
    expect(record!.encryption?.format).toBe('ocicrypt');
    expect(record!.source).toMatchObject({ namespace: 'shop', pod: 'web', container: 'app', node: 'node-a' });
    // A tool that is not kcr opens the image with the private key: its layer is the archive.
    const out = join(work, 'skopeo-agent');
    await tool('skopeo', [
      'copy',
      '--src-tls-verify=false',
      '--decryption-key',
      fixture('keys', 'ocicrypt-rsa.pem'),
      `docker://${registry.host}/agent-secure:${backupTag(record!)}`,
      `dir:${out}`,
    ]);
    expect(
      createHash('sha256')
        .update(readFileSync(join(out, FIXTURE_SHA)))
        .digest('hex'),
    ).toBe(FIXTURE_SHA);
    await store.close();
    await deps.stores.close();
  });

  it.each([
    [
      'an age recipient for an oci:// store',
      () => `oci://${registry.host}/agent-refused`,
      () => generateX25519Identity().recipient,
      /keeps encrypted backups as ocicrypt images, which spec\.encryption\.recipients\[0\] \(an age recipient\) cannot open\nhint: encrypt to an RSA or EC public key in PEM form/,
    ],
    [
      'a PEM public key for an s3:// store',
      () => `s3://${s3.bucket}/refused`,
      () => readFileSync(fixture('keys', 'ocicrypt-ec.pub.pem'), 'utf8'),
      /keeps age-encrypted backups, and spec\.encryption\.recipients\[0\] is a public key for ocicrypt images\nhint: encrypt to age recipients/,
    ],
  ])('refuses %s before the kubelet checkpoints anything', async (_what, url, recipient, message) => {
    const { deps, statuses } = await agentFor('node-a');
    const kubelet = cluster.kubelets.get('node-a')!;
    const before = kubelet.calls.length;
    const cp = checkpointObject({ store: url(), encryption: { recipients: [recipient()] } }, 'web-refused');
    expect(await carryOutCheckpoint(cp, deps)).toBe('failed');
    expect(kubelet.calls.length).toBe(before);
    const final = statuses.at(-1)!;
    expect(final.phase).toBe('Failed');
    const ready = final.conditions!.find((c) => c.type === 'Ready')!;
    expect(ready).toMatchObject({ status: 'False', reason: 'UnusableRecipient' });
    expect(ready.message).toMatch(message);
    await deps.stores.close();
  });

  it('leaves a Checkpoint of another node alone', async () => {
    const { deps, statuses } = await agentFor('node-b');
    const calls = cluster.kubelets.get('node-b')!.calls.length;
    expect(await carryOutCheckpoint(checkpointObject({ store: 'file:///nowhere' }), deps)).toBe('not-mine');
    expect(statuses).toEqual([]);
    expect(cluster.kubelets.get('node-b')!.calls.length).toBe(calls);
  });

  it('keeps the archive on the node when told to, and skips containers a previous attempt stored', async () => {
    const dir = join(work, 'store-keep');
    const { deps, statuses } = await agentFor('node-a', {
      removeArchive: false,
      defaultStore: `file://${dir}`,
    });
    const kubelet = cluster.kubelets.get('node-a')!;
    const before = kubelet.calls.length;
    const resumed = checkpointObject({ containers: ['app', 'sidecar'] });
    resumed.status = {
      phase: 'Storing',
      attempts: 1,
      containers: [{ name: 'app', backupId: '20261206t000000z-00000000', size: 1, sha256: 'x' }],
    };
    expect(await carryOutCheckpoint(resumed, deps)).toBe('done');
    expect(kubelet.calls.slice(before).map((c) => c.path)).toEqual(['/checkpoint/shop/web/sidecar']);
    const final = statuses.at(-1)!;
    expect(final.attempts).toBe(2);
    expect(final.store).toBe(`file://${dir}`);
    const sidecar = final.containers!.find((c) => c.name === 'sidecar')!;
    expect(sidecar.archiveRemoved).toBeUndefined();
    expect(existsSync(localArchivePath(deps, sidecar.archivePath!))).toBe(true);
  });

  it('records the kubelet’s refusal in the status with kcr’s error and hint', async () => {
    const { deps, statuses, metrics } = await agentFor('node-a', {
      defaultStore: `file://${join(work, 's')}`,
    });
    cluster.state.nodes.get('node-a')!.failures.push('tcp-established');
    expect(await carryOutCheckpoint(checkpointObject({ containers: ['app'] }), deps)).toBe('failed');
    const final = statuses.at(-1)!;
    expect(final.phase).toBe('Failed');
    const ready = final.conditions!.find((c) => c.type === 'Ready')!;
    expect(ready.status).toBe('False');
    expect(ready.reason).toBe('RemoteError');
    expect(ready.message).toMatch(/Connected TCP socket[\s\S]*\nhint: .*tcp-established/);
    expect(await metrics.registry.metrics()).toMatch(/^kcr_errors_total\{reason="remote"\} 1$/m);
  });

  it('fails with a hint when the Pod is not on this node any more, or a container does not exist', async () => {
    const { deps, statuses } = await agentFor('node-b', { defaultStore: 'file:///unused' });
    await carryOutCheckpoint(checkpointObject({ nodeName: 'node-b' }), deps);
    expect(statuses.at(-1)!.conditions!.at(-1)!.message).toBe(
      'pod shop/web runs on node-a, not node-b\nhint: the Pod moved since the Checkpoint was made; create a new Checkpoint',
    );
    const a = await agentFor('node-a', { defaultStore: 'file:///unused' });
    await carryOutCheckpoint(checkpointObject({ containers: ['db'] }), a.deps);
    expect(a.statuses.at(-1)!.conditions!.at(-1)).toMatchObject({
      reason: 'NotFound',
      message: 'pod shop/web has no container db\nhint: its containers: app, sidecar',
    });
  });

  it('refuses an archive path outside the checkpoint directory', () => {
    const deps = { hostRoot: '/host', checkpointDir: '/var/lib/kubelet/checkpoints' };
    expect(localArchivePath(deps, '/var/lib/kubelet/checkpoints/a.tar')).toBe(
      '/host/var/lib/kubelet/checkpoints/a.tar',
    );
    expect(() => localArchivePath(deps, '/var/lib/kubelet/checkpoints/../pki/x.key')).toThrow(/outside/);
    expect(() => localArchivePath(deps, '/etc/shadow')).toThrow(/outside/);
  });
});
