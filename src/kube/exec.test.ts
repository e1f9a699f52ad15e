/** The exec client against the test API server's channel protocol. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../testing/kube/test-cluster.js';
import { KubeClient } from './client.js';
import { execInPod } from './exec.js';

let c: TestCluster;
let client: KubeClient;
const target = { namespace: 'default', pod: 'files', container: 'files' };

beforeAll(async () => {
  c = await startTestCluster();
  client = KubeClient.fromKubeconfig({ kubeconfig: c.kubeconfig, env: {} });
  const dir = join(c.state.nodes.get('node-1')!.root, 'srv');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'hello.txt'), 'hello\n');
  const pod = c.state.addPod({
    name: 'files',
    containers: [{ name: 'files' }],
    volumes: [{ name: 'srv', hostPath: { path: '/srv' } }],
  });
  pod.spec.containers[0]!.volumeMounts = [{ name: 'srv', mountPath: '/data', readOnly: true }];
});
afterAll(() => c?.close());

describe('execInPod', () => {
  it('streams stdout and reads the Success status on v5.channel.k8s.io', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (b: Buffer) => chunks.push(b));
    const r = await execInPod(client, { ...target, command: ['cat', '/data/hello.txt'], stdout: out });
    expect(r).toMatchObject({ exitCode: 0, protocol: 'v5.channel.k8s.io', stderr: '' });
    expect(Buffer.concat(chunks).toString()).toBe('hello\n');
  });

  it('reads the exit code and stderr of a failing command', async () => {
    const r = await execInPod(client, { ...target, command: ['cat', '/data/missing'] });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe("cat: can't open '/data/missing': No such file or directory\n");
  });

  it('falls back to v4.channel.k8s.io', async () => {
    c.api.execProtocols = ['v4.channel.k8s.io'];
    try {
      const r = await execInPod(client, { ...target, command: ['sha256sum', '/data/hello.txt'] });
      expect(r.protocol).toBe('v4.channel.k8s.io');
      expect(r.stdout).toBe(
        '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  /data/hello.txt\n',
      );
    } finally {
      c.api.execProtocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
    }
  });

  it('reports a server that speaks neither protocol', async () => {
    c.api.execProtocols = ['v3.channel.k8s.io'];
    try {
      await expect(execInPod(client, { ...target, command: ['cat', '/data/hello.txt'] })).rejects.toThrow(
        'unable to upgrade connection: no supported stream protocol offered',
      );
    } finally {
      c.api.execProtocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
    }
  });

  it('reports a pod that does not exist', async () => {
    await expect(execInPod(client, { ...target, pod: 'gone', command: ['true'] })).rejects.toMatchObject({
      code: 'not-found',
      message: 'exec in default/gone (true): pods "gone" not found',
    });
  });
});
