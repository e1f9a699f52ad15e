/**
 * `kcr install` applied to a cluster (the test cluster's namespaces, RBAC, apps, services, CRDs,
 * with server-side apply): every object is created as the API server stores it, applying again
 * changes nothing, a changed flag updates only what it changes, what `--dry-run=client -o yaml`
 * prints is what was applied, the stored objects are valid Kubernetes, and the RBAC it applies is
 * what the agent's service account is then allowed.
 */
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeManifest } from '../../src/cluster/manifests.js';
import { runKcr } from '../../src/testing/cli.js';
import { AGENT_USER } from '../../src/testing/kcr-in-cluster.js';
import { SCHEMA_VERSIONS, schemaProblem } from '../../src/testing/kube-schemas.js';
import { RawClient } from '../../src/testing/kube/raw-client.js';
import { startTestCluster, type TestCluster } from '../../src/testing/kube/test-cluster.js';

let cluster: TestCluster;
let raw: RawClient;

beforeAll(async () => {
  cluster = await startTestCluster({ nodes: ['node-a'] });
  raw = await RawClient.fromKubeconfig(cluster.kubeconfig);
});
afterAll(() => cluster?.close());

const FLAGS = ['--store', 's3://kcr-backups/cluster', '--store-secret', 'kcr-store-credentials'];

/** Where the API serves an object: /api/v1/namespaces/NS/services/NAME, /apis/apps/v1/..., ... */
function pathOf(o: KubeManifest): string {
  const plural = `${o.kind.toLowerCase()}${o.kind.endsWith('y') ? '' : 's'}`.replace(/ys$/, 'ies');
  const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
  const ns = o.metadata.namespace ? `/namespaces/${o.metadata.namespace}` : '';
  return `${base}${ns}/${plural}/${o.metadata.name}`;
}

type Stored = KubeManifest & { metadata: { resourceVersion: string; generation?: number } };

async function stored(objects: KubeManifest[]): Promise<Stored[]> {
  return Promise.all(
    objects.map(async (o) => {
      const res = await raw.request('GET', pathOf(o));
      expect(res.status, `GET ${pathOf(o)}`).toBe(200);
      return res.body as Stored;
    }),
  );
}

async function dryRun(flags: string[]): Promise<KubeManifest[]> {
  const run = await runKcr(['install', ...flags, '--dry-run=client', '-o', 'yaml']);
  expect(run.code).toBe(0);
  return parseAllDocuments(run.stdout).map((d) => d.toJS() as KubeManifest);
}

const versions = (objects: Stored[]) =>
  objects.map((o) => `${o.kind}/${o.metadata.name}@${o.metadata.resourceVersion}`);

describe('kcr install against a cluster', () => {
  it('applies every object server-side, as --dry-run=client -o yaml prints them, and a second apply changes nothing', async () => {
    const printed = await dryRun(FLAGS);
    const kinds = new Set(printed.map((o) => o.kind));
    for (const k of ['Namespace', 'CustomResourceDefinition', 'ServiceAccount', 'ClusterRole', 'Role'])
      expect(kinds).toContain(k);
    for (const k of ['ClusterRoleBinding', 'RoleBinding', 'DaemonSet', 'Deployment', 'Service'])
      expect(kinds).toContain(k);

    const first = await runKcr(['install', ...FLAGS, '--kubeconfig', cluster.kubeconfig]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout.trim().split('\n')).toEqual(
      printed.map(
        (o) =>
          `${o.kind.toLowerCase()}/${o.metadata.name}${o.metadata.namespace ? ` (${o.metadata.namespace})` : ''} serverside-applied`,
      ),
    );
    const applied = await stored(printed);
    // The server keeps every field printed (and adds its defaults, status and metadata).
    for (const [i, o] of printed.entries())
      expect(applied[i], `${o.kind}/${o.metadata.name}`).toMatchObject(o);
    const ds = applied.find((o) => o.kind === 'DaemonSet')!;
    expect(ds.spec).toMatchObject({
      revisionHistoryLimit: 10,
      template: {
        spec: { dnsPolicy: 'ClusterFirst', containers: [{ terminationMessagePath: '/dev/termination-log' }] },
      },
    });
    expect(applied.find((o) => o.kind === 'Service')!.spec).toMatchObject({
      clusterIP: 'None',
      clusterIPs: ['None'],
      type: 'ClusterIP',
      ports: [{ protocol: 'TCP', targetPort: 'metrics' }],
    });
    expect(applied.find((o) => o.kind === 'Namespace')!.status).toEqual({ phase: 'Active' });
    // What the cluster stores is valid Kubernetes, not only what kcr prints.
    for (const pkg of Object.values(SCHEMA_VERSIONS)) {
      const problems = await Promise.all(applied.map((o) => schemaProblem(pkg, o)));
      expect(problems.filter(Boolean)).toEqual([]);
    }

    const again = await runKcr(['install', ...FLAGS, '--kubeconfig', cluster.kubeconfig]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(first.stdout);
    expect(versions(await stored(printed))).toEqual(versions(applied));
  });

  it('updates only the objects a changed flag changes', async () => {
    const before = await stored(await dryRun(FLAGS));
    const flags = [...FLAGS, '--image', 'registry.example/kcr:2'];
    const run = await runKcr(['install', ...flags, '--kubeconfig', cluster.kubeconfig]);
    expect(run.code).toBe(0);
    const after = await stored(await dryRun(flags));
    const changed = after
      .filter((o, i) => versions([o])[0] !== versions([before[i]!])[0])
      .map((o) => [o.kind, o.metadata.generation]);
    expect(changed).toEqual([
      ['DaemonSet', 2],
      ['Deployment', 2],
    ]);
  });

  it('grants the agent’s service account what its rules say through the RBAC objects it applied, and no more', async () => {
    const agent = await RawClient.fromKubeconfig(
      await cluster.kubeconfigFor({ user: AGENT_USER, auth: 'token', rules: [] }),
    );
    const checkpoints = await agent.request(
      'GET',
      '/apis/kcr.dev/v1alpha1/checkpoints?fieldSelector=spec.nodeName%3Dnode-a',
    );
    expect(checkpoints.status).toBe(200);
    const secrets = await agent.request('GET', '/api/v1/namespaces/kcr-system/secrets');
    expect(secrets.status).toBe(403);
    expect((secrets.body as { message: string }).message).toBe(
      `secrets is forbidden: User "${AGENT_USER}" cannot list resource "secrets" in API group "" in the namespace "kcr-system"`,
    );
  });
});
