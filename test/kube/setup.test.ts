/** `kcr setup kubeadm|crio`: the output is valid YAML/TOML that says what the docs say it must. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../src/testing/archive-builder.js';
import { runCliCaptured } from '../../src/testing/run-cli.js';

const tmp = tempDir('kcr-setup-');
afterAll(() => tmp.cleanup());

/** CRIU's config file format: one option per line without dashes, `#` comments. */
function criuOptions(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

describe('kcr setup kubeadm', () => {
  it('prints InitConfiguration, ClusterConfiguration and KubeletConfiguration with the ContainerCheckpoint gate', async () => {
    const r = await runCliCaptured(['setup', 'kubeadm', '--kubernetes-version', 'v1.31.4']);
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => {
      expect(d.errors).toEqual([]);
      return d.toJS() as Record<string, unknown>;
    });
    expect(docs.map((d) => d.kind)).toEqual([
      'InitConfiguration',
      'ClusterConfiguration',
      'KubeletConfiguration',
    ]);
    expect(docs[0]).toEqual({
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      kind: 'InitConfiguration',
      nodeRegistration: { criSocket: 'unix:///var/run/crio/crio.sock' },
    });
    expect(docs[1]).toMatchObject({
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      kubernetesVersion: 'v1.31.4',
      networking: { podSubnet: '10.244.0.0/16' },
      apiServer: { extraArgs: [{ name: 'feature-gates', value: 'ContainerCheckpoint=true' }] },
    });
    expect(docs[2]).toMatchObject({
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      enableDebuggingHandlers: true,
      featureGates: { ContainerCheckpoint: true },
    });
  });

  it('writes v1beta3 (extraArgs as a map) for Kubernetes before 1.31, and takes --cri-socket', async () => {
    const r = await runCliCaptured([
      'setup',
      'kubeadm',
      '--kubernetes-version',
      '1.29.2',
      '--cri-socket',
      'unix:///run/containerd/containerd.sock',
    ]);
    const [init, cluster] = parseAllDocuments(r.stdout).map((d) => d.toJS() as Record<string, unknown>);
    expect(init).toMatchObject({
      apiVersion: 'kubeadm.k8s.io/v1beta3',
      nodeRegistration: { criSocket: 'unix:///run/containerd/containerd.sock' },
    });
    expect(cluster).toMatchObject({
      kubernetesVersion: 'v1.29.2',
      apiServer: { extraArgs: { 'feature-gates': 'ContainerCheckpoint=true' } },
    });
  });

  it('refuses a Kubernetes version without the checkpoint API', async () => {
    const r = await runCliCaptured(['setup', 'kubeadm', '--kubernetes-version', 'v1.24.0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'error: --kubernetes-version v1.24.0: checkpointing needs Kubernetes 1.25 or later',
    );
  });
});

describe('kcr setup crio', () => {
  it('prints a CRI-O drop-in that enables CRIU support and keeps the infra container', async () => {
    const r = await runCliCaptured(['setup', 'crio']);
    expect(r.code).toBe(0);
    expect(parseToml(r.stdout)).toEqual({
      crio: { runtime: { enable_criu_support: true, drop_infra_ctr: false } },
    });
  });

  it('prints /etc/criu/runc.conf with tcp-established and file-locks', async () => {
    const r = await runCliCaptured(['setup', 'crio', '--runc-conf']);
    expect(criuOptions(r.stdout)).toEqual(['tcp-established', 'file-locks']);
  });

  it('installs both files under --root, keeping lines an operator already had', async () => {
    mkdirSync(join(tmp.dir, 'etc/criu'), { recursive: true });
    writeFileSync(join(tmp.dir, 'etc/criu/runc.conf'), 'log-file /var/log/criu.log\ntcp-established\n');
    const r = await runCliCaptured(['setup', 'crio', '--install', '--root', tmp.dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `${join(tmp.dir, '/etc/crio/crio.conf.d/50-kcr-checkpoint.conf')} written\n${join(tmp.dir, '/etc/criu/runc.conf')} written\n`,
    );
    expect(criuOptions(readFileSync(join(tmp.dir, 'etc/criu/runc.conf'), 'utf8'))).toEqual([
      'log-file /var/log/criu.log',
      'tcp-established',
      'file-locks',
    ]);
    expect(
      parseToml(readFileSync(join(tmp.dir, 'etc/crio/crio.conf.d/50-kcr-checkpoint.conf'), 'utf8')),
    ).toMatchObject({ crio: { runtime: { enable_criu_support: true } } });
    const again = await runCliCaptured(['setup', 'crio', '--install', '--root', tmp.dir]);
    expect(again.stdout).toMatch(/50-kcr-checkpoint\.conf unchanged\n.*runc\.conf unchanged\n$/);
  });
});

describe('kcr setup containerd', () => {
  it('prints containerd 2.x settings that turn on CRIU and restore in CreateContainer', async () => {
    const r = await runCliCaptured(['setup', 'containerd']);
    expect(r.code).toBe(0);
    expect(parseToml(r.stdout)).toEqual({
      version: 3,
      plugins: {
        'io.containerd.cri.v1.runtime': { enable_criu: true, enable_experimental_restore_via_create: true },
      },
    });
    expect(r.stdout).toContain('/etc/containerd/config.toml');
    expect(r.stdout).toMatch(/trusted users/);
  });
});
