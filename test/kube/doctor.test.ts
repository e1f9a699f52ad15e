/** `kcr doctor` against test clusters that are ready, and that are not in the ways real ones are not. */
import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../src/testing/archive-builder.js';
import { startTestCluster, type TestCluster } from '../../src/testing/kube/test-cluster.js';
import { runCliCaptured } from '../../src/testing/run-cli.js';

const home = tempDir('kcr-home-');
afterAll(() => home.cleanup());

interface Finding {
  check: string;
  subject: string;
  status: string;
  message: string;
  fix?: string;
}

function kcr(c: TestCluster, argv: string[], kubeconfig = c.kubeconfig) {
  return runCliCaptured(argv, { env: { KUBECONFIG: kubeconfig, HOME: home.dir } });
}

describe('a ready cluster', () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await startTestCluster({ nodes: ['node-1'] });
  });
  afterAll(() => c?.close());
  afterEach(() => {
    c.state.nodes.get('node-1')!.failures = [];
  });

  it('passes every check and exits 0', async () => {
    const r = await kcr(c, ['doctor']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^CHECK\s+SUBJECT\s+STATUS\s+FINDING$/m);
    expect(r.stdout).toMatch(
      /^server-version\s+cluster\s+ok\s+Kubernetes v1\.31\.4: checkpointing is beta and on by default$/m,
    );
    expect(r.stdout).toMatch(/^runtime\s+node-1\s+ok\s+cri-o:\/\/1\.31\.2 can checkpoint and restore/m);
    expect(r.stdout).toMatch(
      /^feature-gate\s+node-1\s+ok\s+ContainerCheckpoint is on by default \(kubelet 1\.30\+\)$/m,
    );
    expect(r.stdout).toMatch(/^rbac\s+create nodes\/proxy\s+ok/m);
    expect(r.stdout).toMatch(/^rbac\s+create pods\/exec in default\s+ok/m);
    expect(r.stdout).toMatch(
      /^rbac\s+list pods in default\s+ok\s+allowed \(checkpoint the pods of a label selector \(-l\)\)$/m,
    );
    expect(r.stdout).toMatch(/^rbac\s+get nodes\/proxy\s+ok\s+allowed \(read each kubelet's configuration/m);
    expect(r.stdout).toContain('ready: this cluster can checkpoint and restore');
    // The gate was read from the kubelet through the node proxy, as kcr checkpoint calls it.
    expect(c.api.requests.some((q) => q.path === '/api/v1/nodes/node-1/proxy/configz')).toBe(true);
  });

  it('checkpoints a throwaway pod with --canary and deletes it', async () => {
    const r = await kcr(c, ['doctor', '--canary', '-o', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { ready: boolean; findings: Finding[] };
    const canary = report.findings.find((f) => f.check === 'canary')!;
    expect(canary).toMatchObject({ status: 'ok', subject: 'node-1' });
    expect(canary.message).toMatch(
      /^checkpointed default\/kcr-canary-\w+; the archive is \/var\/lib\/kubelet\/checkpoints\/checkpoint-kcr-canary-\w+_default-canary-\S+\.tar on node-1/,
    );
    const name = /default\/(kcr-canary-\w+)/.exec(canary.message)![1];
    expect(c.state.deletedPods).toContain(`default/${name}`);
  });

  it("fails the canary with the kubelet's error and its fix", async () => {
    c.state.nodes.get('node-1')!.failures.push('no-criu');
    const r = await kcr(c, ['doctor', '--canary', '-o', 'json']);
    expect(r.code).toBe(3);
    const canary = (JSON.parse(r.stdout) as { findings: Finding[] }).findings.find(
      (f) => f.check === 'canary',
    )!;
    expect(canary.status).toBe('fail');
    expect(canary.message).toContain('checkpoint/restore support not available');
    expect(canary.fix).toContain('enable_criu_support = true');
    expect(c.state.pods.size).toBe(0);
  });

  it('flags missing RBAC with the role to create', async () => {
    const kubeconfig = await c.kubeconfigFor({
      user: 'dev',
      namespace: 'dev',
      rules: [{ verbs: ['get', 'list'], resources: ['pods', 'nodes'] }],
    });
    const r = await kcr(c, ['doctor', '-o', 'json'], kubeconfig);
    expect(r.code).toBe(3);
    const findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
    expect(findings.find((f) => f.subject === 'create nodes/proxy')).toMatchObject({
      status: 'fail',
      fix: 'kubectl create clusterrole kcr --verb=create --resource=nodes/proxy, then bind it to your user',
    });
    expect(findings.find((f) => f.subject === 'create pods/exec in dev')).toMatchObject({ status: 'warn' });
    expect(findings.find((f) => f.subject === 'list pods in dev')).toMatchObject({ status: 'ok' });
    expect(findings.find((f) => f.subject === 'get nodes/proxy')).toMatchObject({
      status: 'warn',
      fix: 'kubectl create clusterrole kcr --verb=get --resource=nodes/proxy, then bind it to your user',
    });
    // Without nodes/proxy the kubelet's configuration is out of reach; the doctor says so instead of guessing.
    expect(findings.find((f) => f.check === 'feature-gate')).toMatchObject({ status: 'warn' });
    expect(findings.find((f) => f.check === 'feature-gate')!.message).toContain(
      'forbidden (needs get on nodes/proxy)',
    );
  });
  it('still checks RBAC for a user who may not list nodes', async () => {
    const kubeconfig = await c.kubeconfigFor({
      user: 'narrow',
      rules: [{ verbs: ['get'], resources: ['pods'] }],
    });
    const r = await kcr(c, ['doctor', '-o', 'json'], kubeconfig);
    expect(r.code).toBe(3);
    const findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
    expect(findings.find((f) => f.subject === 'nodes')).toMatchObject({
      status: 'warn',
      message: expect.stringContaining('cannot list resource "nodes"'),
    });
    expect(findings.find((f) => f.subject === 'get pods in default')).toMatchObject({ status: 'ok' });
  });
});

describe('a cluster that is not ready', () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await startTestCluster({ nodes: [] });
    c.state.version = { major: '1', minor: '29', gitVersion: 'v1.29.10' };
    await c.addNode('crio-gate-off', { runtime: 'cri-o://1.29.3', kubeletVersion: 'v1.29.10' });
    await c.addNode('crio-gate-on', {
      runtime: 'cri-o://1.29.3',
      kubeletVersion: 'v1.29.10',
      featureGates: { ContainerCheckpoint: true },
    });
    await c.addNode('containerd-1', {
      runtime: 'containerd://1.7.22',
      kubeletVersion: 'v1.29.10',
      featureGates: { ContainerCheckpoint: true },
    });
    await c.addNode('docker', { runtime: 'docker://24.0.7', kubeletVersion: 'v1.29.10' });
  });
  afterAll(() => c?.close());

  it('lists each problem with its fix and exits 3', async () => {
    const r = await kcr(c, ['doctor']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(
      /^server-version\s+cluster\s+WARN\s+Kubernetes v1\.29\.10: checkpointing is alpha/m,
    );
    expect(r.stdout).toMatch(
      /^feature-gate\s+crio-gate-off\s+FAIL\s+ContainerCheckpoint is off \(alpha, not enabled\)$/m,
    );
    expect(r.stdout).toMatch(/^feature-gate\s+crio-gate-on\s+ok\s+ContainerCheckpoint is enabled$/m);
    expect(r.stdout).toMatch(
      /^runtime\s+containerd-1\s+FAIL\s+containerd 1\.7\.22 has no CRI checkpoint support; it arrived in containerd 2\.0$/m,
    );
    expect(r.stdout).toMatch(
      /^runtime\s+docker\s+FAIL\s+docker does not implement CRI container checkpointing/m,
    );
    expect(r.stdout).toContain(
      'fix (feature-gate crio-gate-off): set featureGates: {ContainerCheckpoint: true} in the KubeletConfiguration',
    );
    expect(r.stdout).toContain('not ready: fix the FAIL findings above');
  });

  it('checks one node with --node', async () => {
    const r = await kcr(c, ['doctor', '--node', 'crio-gate-on', '-o', 'json']);
    const report = JSON.parse(r.stdout) as { ready: boolean; serverVersion: string; findings: Finding[] };
    expect(report.serverVersion).toBe('1.29.10');
    expect(
      new Set(
        report.findings
          .filter((f) => f.check === 'runtime' || f.check === 'feature-gate')
          .map((f) => f.subject),
      ),
    ).toEqual(new Set(['crio-gate-on']));
    expect(report.ready).toBe(true);
    expect(r.code).toBe(0);
  });

  it('reads a gate switched off explicitly on a 1.30 kubelet', async () => {
    await c.addNode('gate-disabled', {
      kubeletVersion: 'v1.31.4',
      featureGates: { ContainerCheckpoint: false },
    });
    const r = await kcr(c, ['doctor', '--node', 'gate-disabled']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(
      /^feature-gate\s+gate-disabled\s+FAIL\s+ContainerCheckpoint is disabled in the kubelet configuration$/m,
    );
  });
});

describe('a cluster with containerd nodes', () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await startTestCluster({ nodes: ['crio-1'] });
    await c.addNode('containerd-23', { runtime: 'containerd://2.3.4' });
    await c.addNode('containerd-24', { runtime: 'containerd://2.4.0' });
  });
  afterAll(() => c?.close());

  it('says per node which restore path the runtime offers, and what to change', async () => {
    const r = await kcr(c, ['doctor', '-o', 'json']);
    const report = JSON.parse(r.stdout) as { ready: boolean; findings: Finding[] };
    const restore = Object.fromEntries(
      report.findings.filter((f) => f.check === 'restore').map((f) => [f.subject, f]),
    );
    expect(restore['crio-1']).toMatchObject({
      status: 'ok',
      message: expect.stringContaining('CRI-O 1.31.2 restores a Pod whose image is a checkpoint image'),
    });
    expect(restore['containerd-23']).toMatchObject({
      status: 'warn',
      message: expect.stringContaining(
        'containerd 2.3.4 restores a Pod whose image is a checkpoint image only with enable_experimental_restore_via_create = true',
      ),
      fix: expect.stringContaining('`kcr setup containerd` prints it'),
    });
    expect(restore['containerd-24']).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('containerd 2.4.0 removed restore in CreateContainer'),
    });
    // Both containerd nodes still checkpoint.
    const runtime = report.findings.filter(
      (f) => f.check === 'runtime' && f.subject.startsWith('containerd'),
    );
    expect(runtime.map((f) => f.status)).toEqual(['ok', 'ok']);
    expect(report.ready).toBe(false);
    expect(r.code).toBe(3);
  });

  it('is ready with only a containerd 2.3 node, warning about its opt-in', async () => {
    const r = await kcr(c, ['doctor', '--node', 'containerd-23']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^restore\s+containerd-23\s+WARN\s+containerd 2\.3\.4 restores/m);
    expect(r.stdout).toContain(
      "fix (restore containerd-23): set enable_experimental_restore_via_create = true (and enable_criu = true) under [plugins.'io.containerd.cri.v1.runtime']",
    );
  });
});

describe('a cluster of many nodes', () => {
  let c: TestCluster;
  const names = Array.from({ length: 10 }, (_, i) => `worker-${i}`);
  beforeAll(async () => {
    c = await startTestCluster({ nodes: names });
  });
  afterAll(() => c?.close());

  it("reads the kubelets' /configz concurrently, at most 8 at a time", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let waiting: (() => void)[] = [];
    let started = 0;
    // Hold each call until 8 wait (or all that remain): a doctor that asks one node at a time never gets past the first.
    const gate = () =>
      new Promise<void>((resolve) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        started++;
        waiting.push(() => {
          inFlight--;
          resolve();
        });
        if (waiting.length === 8 || started === names.length) {
          const release = waiting;
          waiting = [];
          release.forEach((r) => r());
        }
      });
    for (const k of c.kubelets.values()) k.configzGate = gate;
    const r = await kcr(c, ['doctor', '-o', 'json']);
    expect(r.code).toBe(0);
    const gates = (JSON.parse(r.stdout) as { findings: Finding[] }).findings.filter(
      (f) => f.check === 'feature-gate',
    );
    expect(gates.map((f) => f.subject)).toEqual(names);
    expect(gates.every((f) => f.status === 'ok')).toBe(true);
    expect(maxInFlight).toBe(8);
  });
});

describe('an API server that cannot be reached', () => {
  it('is one error naming the server, exit 2, not a report of identical findings', async () => {
    const kubeconfig = home.path('unreachable.yaml');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: gone, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]',
        'users: [{name: me, user: {token: abc}}]',
        'contexts: [{name: gone, context: {cluster: gone, user: me}}]',
        'current-context: gone',
        '',
      ].join('\n'),
    );
    const r = await runCliCaptured(['doctor'], { env: { KUBECONFIG: kubeconfig, HOME: home.dir } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^error: https:\/\/127\.0\.0\.1:1: cannot connect/);
    expect(lines[1]).toMatch(/^hint: /);
  });
});
