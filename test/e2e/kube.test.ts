/**
 * The Kubernetes commands against a real cluster. Skipped unless KCR_E2E_KUBECONFIG is set:
 *
 *   KCR_E2E_KUBECONFIG=~/.kube/config            the cluster (required; CRI-O or containerd 2.x, gate on)
 *   KCR_E2E_NAMESPACE=default                    where test pods go (they are deleted afterwards)
 *   KCR_E2E_IMAGE=busybox:1.36                   the workload and the copy helper image
 *   KCR_E2E_REGISTRY=registry.example/ckpt       enables the restore and migrate cases (nodes must pull from it)
 *   KCR_E2E_REGISTRY_INSECURE=1                  plain HTTP or unverified TLS for that registry
 *   KCR_E2E_TO_NODE=worker-2                     enables the migrate case (target node)
 *
 * Run: KCR_E2E_KUBECONFIG=... npx vitest run test/e2e
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, waitForRunning } from '../../src/kube/index.js';
import { tempDir, type TempDir } from '../../src/testing/archive-builder.js';
import { runCliCaptured } from '../../src/testing/run-cli.js';

const env = process.env;
const kubeconfig = env.KCR_E2E_KUBECONFIG;
const namespace = env.KCR_E2E_NAMESPACE ?? 'default';
const image = env.KCR_E2E_IMAGE ?? 'busybox:1.36';
const registry = env.KCR_E2E_REGISTRY;
const registryFlags = env.KCR_E2E_REGISTRY_INSECURE ? ['--insecure'] : [];
const suffix = Math.random().toString(36).slice(2, 7);
const podName = `kcr-e2e-${suffix}`;

describe.skipIf(!kubeconfig)('against a real cluster (KCR_E2E_KUBECONFIG)', () => {
  // Made in beforeAll, not while collecting: a skipped suite runs no hooks and would leak it.
  let tmp: TempDir;
  let client: KubeClient;
  const kcr = (argv: string[]) =>
    runCliCaptured([...argv, '-n', namespace], { env: { KUBECONFIG: kubeconfig } });

  beforeAll(async () => {
    tmp = tempDir('kcr-e2e-');
    client = KubeClient.fromKubeconfig({ kubeconfig });
    await client.core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: podName, labels: { app: 'kcr-e2e' } },
        spec: {
          containers: [
            {
              name: 'counter',
              image,
              command: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i; sleep 1; done'],
            },
          ],
        },
      },
    });
    const outcome = await waitForRunning(client, namespace, podName, { timeoutMs: 180_000 });
    expect(outcome.kind).toBe('running');
  }, 200_000);

  afterAll(async () => {
    for (const name of [podName, `${podName}-restored`, `${podName}-${env.KCR_E2E_TO_NODE ?? ''}`]) {
      await client?.core
        .deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 })
        .catch(() => undefined);
    }
    tmp?.cleanup();
  });

  it('kcr doctor says the cluster is ready', async () => {
    const r = await kcr(['doctor', '-o', 'json']);
    const report = JSON.parse(r.stdout) as { ready: boolean; findings: { status: string }[] };
    expect(report.findings.filter((f) => f.status === 'fail')).toEqual([]);
    expect(r.code).toBe(0);
  });

  let archive = '';
  it('kcr checkpoint -o copies the archive, verified, with the Pod beside it, and removes the helper pod', async () => {
    const r = await kcr([
      'checkpoint',
      podName,
      '--output-file',
      tmp.dir,
      '--helper-image',
      image,
      '-o',
      'json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [out] = JSON.parse(r.stdout) as { local: { path: string; sha256: string; podJson: string } }[];
    archive = out!.local.path;
    expect(createHash('sha256').update(readFileSync(archive)).digest('hex')).toBe(out!.local.sha256);
    expect(JSON.parse(readFileSync(out!.local.podJson, 'utf8'))).toMatchObject({
      kind: 'Pod',
      metadata: { name: podName },
    });
    const helpers = await client.core.listNamespacedPod({
      namespace,
      labelSelector: 'app.kubernetes.io/component=copy-helper',
    });
    expect(helpers.items.filter((p) => !p.metadata?.deletionTimestamp)).toEqual([]);
  }, 300_000);

  it.runIf(registry)(
    'kcr restore runs the checkpoint as a new pod (KCR_E2E_REGISTRY)',
    async () => {
      const r = await kcr([
        'restore',
        archive,
        '--registry',
        registry!,
        ...registryFlags,
        '--name',
        `${podName}-restored`,
        '--wait',
        '--timeout',
        '300',
      ]);
      expect(r.stderr).not.toMatch(/^error:/m);
      expect(r.code).toBe(0);
    },
    400_000,
  );

  it.runIf(registry && env.KCR_E2E_TO_NODE)(
    'kcr migrate moves the pod (KCR_E2E_TO_NODE)',
    async () => {
      const r = await kcr([
        'migrate',
        podName,
        '--to',
        env.KCR_E2E_TO_NODE!,
        '--registry',
        registry!,
        ...registryFlags,
        '--helper-image',
        image,
        '--timeout',
        '300',
      ]);
      expect(r.stderr).not.toMatch(/^error:/m);
      expect(r.code).toBe(0);
    },
    600_000,
  );
});
