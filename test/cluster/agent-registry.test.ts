/**
 * The node agent as the DaemonSet runs it (`kcr agent`, a process of the built CLI, with the
 * environment and the registry Secret's file where `kcr install --registry-secret` mounts them)
 * storing a scheduled Checkpoint into a real registry that wants credentials, as an ocicrypt image
 * that skopeo opens with the private key.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KcrApi } from '../../src/cluster/kcr-api.js';
import { installManifests } from '../../src/cluster/manifests.js';
import { API_VERSION, LABELS } from '../../src/cluster/resources.js';
import { builtBin } from '../../src/testing/built-cli.js';
import { fixture } from '../../src/testing/fixtures.js';
import {
  eventually,
  SMALL_ARCHIVE,
  startKcrCluster,
  type KcrInCluster,
  type KcrTestCluster,
} from '../../src/testing/kcr-in-cluster.js';
import type { TestCluster } from '../../src/testing/kube/test-cluster.js';
import { startRegistry, type TestRegistry } from '../../src/testing/registry.js';
import { tool } from '../../src/testing/tools.js';

let env: KcrTestCluster | undefined;
let cluster: TestCluster;
let registry: TestRegistry;
let kcr: KcrInCluster;
let work: string;
let agent: ChildProcess | undefined;
let agentLog = '';

beforeAll(async () => {
  [env, registry] = await Promise.all([
    startKcrCluster(),
    startRegistry({ auth: { username: 'kcr', password: 'pushes-backups' } }),
  ]);
  ({ cluster, kcr } = env);
  work = await mkdtemp(join(tmpdir(), 'kcr-agent-registry-'));
});
afterAll(async () => {
  if (agent && agent.exitCode === null) {
    const exited = new Promise((r) => agent!.once('exit', r));
    agent.kill('SIGTERM');
    await exited;
  }
  await Promise.all([env?.close(), registry?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

interface Container {
  args: string[];
  env: { name: string; value?: string }[];
  volumeMounts: { name: string; mountPath: string }[];
}

/**
 * The agent container of `kcr install --store URL --registry-secret NAME`, and what the kubelet
 * would give it: the Secret's keys as files under the mount path (here below `podRoot`), the
 * environment with those paths.
 */
async function agentContainer(store: string, podRoot: string, dockerconfigjson: string) {
  const manifests = installManifests({ store, registrySecret: 'kcr-registry' });
  const ds = manifests.find((m) => m.kind === 'DaemonSet')!;
  const pod = (
    ds.spec as { template: { spec: { containers: Container[]; volumes: Record<string, unknown>[] } } }
  ).template.spec;
  const container = pod.containers[0]!;
  const volume = pod.volumes.find(
    (v) => (v.secret as { secretName?: string } | undefined)?.secretName === 'kcr-registry',
  )!;
  const mount = container.volumeMounts.find((m) => m.name === volume.name)!;
  const secretFile = join(podRoot, mount.mountPath, '.dockerconfigjson');
  await mkdir(dirname(secretFile), { recursive: true });
  await writeFile(secretFile, dockerconfigjson, { mode: 0o600 });
  const env: Record<string, string> = {};
  for (const e of container.env) {
    if (e.value === undefined) continue;
    env[e.name] = e.value.startsWith(mount.mountPath) ? join(podRoot, e.value) : e.value;
  }
  return { args: container.args, env };
}

describe('the node agent process with a registry Secret', () => {
  it('stores a scheduled Checkpoint into an authenticated registry as an ocicrypt image that skopeo opens', async () => {
    const ns = 'reg';
    cluster.state.addPod({ name: 'web', namespace: ns, node: 'node-a', labels: { app: 'web' } });
    const storeUrl = `oci://${registry.host}/scheduled`;
    const auth = Buffer.from(`${registry.username}:${registry.password}`).toString('base64');
    const podRoot = join(work, 'pod');
    const { args, env } = await agentContainer(
      storeUrl,
      podRoot,
      JSON.stringify({ auths: { [registry.host]: { auth } } }),
    );
    // The registry Secret reaches the agent only through the environment the manifest gives it.
    expect(env.REGISTRY_AUTH_FILE).toBe(join(podRoot, '/etc/kcr/registry/.dockerconfigjson'));
    const node = cluster.state.nodes.get('node-a')!;
    const home = join(work, 'home');
    await mkdir(home, { recursive: true });
    agent = spawn(
      process.execPath,
      [
        builtBin('kcr'),
        ...args.filter((a) => !/^--(node|kubelet-url|metrics-port)=/.test(a)),
        '--node=node-a',
        `--kubelet-url=https://127.0.0.1:${node.kubeletPort}`,
        '--metrics-port=0',
        `--kubeconfig=${kcr.agentKubeconfig}`,
        `--kubelet-ca=${cluster.pki.ca.certFile}`,
        `--kubelet-token-file=${kcr.agentTokenFile}`,
        `--host-root=${node.root}`,
      ],
      { env: { PATH: process.env.PATH, HOME: home, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    agent.stderr!.on('data', (d: Buffer) => (agentLog += d.toString()));
    await eventually(
      () => (/watching its Checkpoints/.test(agentLog) ? true : undefined),
      15_000,
      'the agent',
    );
    await kcr.startController('controller-1');
    const api = new KcrApi(kcr.admin);
    const pem = readFileSync(fixture('keys', 'ocicrypt-rsa.pub.pem'), 'utf8');
    await api.create('CheckpointSchedule', {
      apiVersion: API_VERSION,
      kind: 'CheckpointSchedule',
      metadata: { name: 'nightly', namespace: ns },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        triggers: { cron: { schedule: '*/2 * * * * *' } },
        store: storeUrl,
        encryption: { recipients: [pem] },
      },
    });
    const run = await eventually(
      async () => {
        const s = await api.get('CheckpointSchedule', ns, 'nightly');
        return s.status?.runs?.find((r) => r.phase === 'Succeeded' || r.phase === 'Failed');
      },
      20_000,
      `a run (agent log: ${agentLog})`,
    );
    const [cp] = await api.list('Checkpoint', { namespace: ns, labelSelector: `${LABELS.run}=${run.id}` });
    expect(cp!.status?.conditions?.find((c) => c.type === 'Ready')?.message, agentLog).not.toMatch(/hint:/);
    expect(run).toMatchObject({ phase: 'Succeeded', succeeded: 1, failed: 0 });
    expect(cp!.status).toMatchObject({ phase: 'Succeeded', nodeName: 'node-a', store: storeUrl });
    const stored = cp!.status!.containers![0]!;
    // Without credentials the registry refuses: the agent's push used the mounted Secret.
    expect((await fetch(`http://${registry.host}/v2/scheduled/tags/list`)).status).toBe(401);
    const tags = (await (
      await fetch(`http://${registry.host}/v2/scheduled/tags/list`, {
        headers: { authorization: `Basic ${auth}` },
      })
    ).json()) as { tags: string[] };
    const tag = tags.tags.find((t) => t.endsWith(`.${stored.backupId}`));
    expect(tag).toMatch(new RegExp(`^${ns}\\.web\\.web\\.`));
    const out = join(work, 'skopeo');
    await tool('skopeo', [
      'copy',
      '--src-tls-verify=false',
      '--src-creds',
      `${registry.username}:${registry.password}`,
      '--decryption-key',
      fixture('keys', 'ocicrypt-rsa.pem'),
      `docker://${registry.host}/scheduled:${tag}`,
      `dir:${out}`,
    ]);
    const archive = readFileSync(join(out, stored.sha256!));
    expect(createHash('sha256').update(archive).digest('hex')).toBe(stored.sha256);
    expect(archive.equals(readFileSync(SMALL_ARCHIVE))).toBe(true);
  }, 45_000);
});
