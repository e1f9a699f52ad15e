/**
 * CustomResourceDefinitions and Leases in the test cluster behave as in a real one: a CRD's
 * resources are served and discoverable, writes follow the status subresource's rules, stale
 * writes are 409s, objects are pruned and validated against the structural schema with the real
 * 422 bodies, and selectable fields let an agent list and watch by spec.nodeName.
 */
import {
  CoordinationV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Lease,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from './raw-client.js';
import { startTestCluster, type TestCluster } from './test-cluster.js';

let c: TestCluster;
let raw: RawClient;
let custom: CustomObjectsApi;
let leases: CoordinationV1Api;

const group = 'kcr.dev';
const version = 'v1alpha1';
const plural = 'checkpoints';

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.${group}` },
  spec: {
    group,
    scope: 'Namespaced',
    names: { plural, singular: 'checkpoint', kind: 'Checkpoint', shortNames: ['ckpt'] },
    versions: [
      {
        name: version,
        served: true,
        storage: true,
        subresources: { status: {} },
        selectableFields: [{ jsonPath: '.spec.nodeName' }],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['pod'],
                properties: {
                  pod: { type: 'string', minLength: 1 },
                  nodeName: { type: 'string' },
                  timeoutSeconds: { type: 'integer', minimum: 1, maximum: 3600, default: 60 },
                  mode: { type: 'string', enum: ['container', 'pod'] },
                  containers: { type: 'array', items: { type: 'string' }, maxItems: 2 },
                },
              },
              status: {
                type: 'object',
                properties: { phase: { type: 'string', enum: ['Pending', 'Running', 'Done'] } },
              },
            },
          },
        },
      },
    ],
  },
};

const checkpoint = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: `${group}/${version}`,
  kind: 'Checkpoint',
  metadata: { name },
  spec,
});

interface Ckpt {
  metadata: { name: string; resourceVersion: string; generation: number; uid: string };
  spec: Record<string, unknown>;
  status?: { phase?: string };
}

beforeAll(async () => {
  c = await startTestCluster({ nodes: ['node-1'] });
  raw = await RawClient.fromKubeconfig(c.kubeconfig);
  const kc = new KubeConfig();
  kc.loadFromFile(c.kubeconfig);
  custom = kc.makeApiClient(CustomObjectsApi);
  leases = kc.makeApiClient(CoordinationV1Api);
  const created = await raw.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  expect(created.status).toBe(201);
});
afterAll(() => c?.close());

const path = (ns: string, name = '', sub = '') =>
  `/apis/${group}/${version}/namespaces/${ns}/${plural}${name ? `/${name}` : ''}${sub ? `/${sub}` : ''}`;

describe('a CustomResourceDefinition', () => {
  it('is Established and its resource appears in discovery', async () => {
    const got = await raw.request(
      'GET',
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${plural}.${group}`,
    );
    const conditions = (got.body as { status: { conditions: { type: string; status: string }[] } }).status
      .conditions;
    expect(conditions).toContainEqual(expect.objectContaining({ type: 'Established', status: 'True' }));
    const groups = await raw.request('GET', '/apis');
    expect((groups.body as { groups: { name: string }[] }).groups.map((g) => g.name)).toContain(group);
    const list = await raw.request('GET', `/apis/${group}/${version}`);
    expect(list.body).toMatchObject({
      kind: 'APIResourceList',
      groupVersion: `${group}/${version}`,
      resources: [
        {
          name: plural,
          singularName: 'checkpoint',
          namespaced: true,
          kind: 'Checkpoint',
          shortNames: ['ckpt'],
        },
        { name: `${plural}/status`, namespaced: true, kind: 'Checkpoint' },
      ],
    });
  });

  it('refuses a CRD whose name is not plural.group', async () => {
    const bad = await raw.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      ...crd,
      metadata: { name: 'wrong.kcr.dev' },
    });
    expect(bad.status).toBe(422);
    expect((bad.body as { message: string }).message).toBe(
      'CustomResourceDefinition.apiextensions.k8s.io "wrong.kcr.dev" is invalid: metadata.name: Invalid value: "wrong.kcr.dev": must be spec.names.plural+"."+spec.group',
    );
  });

  it('creates, gets and lists objects, pruning unknown fields and applying defaults', async () => {
    const created = (await custom.createNamespacedCustomObject({
      group,
      version,
      namespace: 'ns1',
      plural,
      body: {
        ...checkpoint('c1', { pod: 'web', nodeName: 'node-1', unknown: 'dropped' }),
        status: { phase: 'Done' },
      },
    })) as Ckpt;
    expect(created.spec).toEqual({ pod: 'web', nodeName: 'node-1', timeoutSeconds: 60 });
    expect(created.status).toBeUndefined(); // status is the status subresource's to write
    expect(created.metadata.generation).toBe(1);
    const got = (await custom.getNamespacedCustomObject({
      group,
      version,
      namespace: 'ns1',
      plural,
      name: 'c1',
    })) as Ckpt;
    expect(got.metadata.uid).toBe(created.metadata.uid);
    const all = (await custom.listClusterCustomObject({ group, version, plural })) as { items: Ckpt[] };
    expect(all.items.map((i) => i.metadata.name)).toContain('c1');
    const strict = await raw.request(
      'POST',
      `${path('ns1')}?fieldValidation=Strict`,
      checkpoint('c-strict', { pod: 'a', extra: 1 }),
    );
    expect(strict.status).toBe(400);
    expect(strict.body).toMatchObject({ message: 'strict decoding error: unknown field "spec.extra"' });
  });

  it('answers invalid objects with the 422 Status the API server writes', async () => {
    const r = await raw.request(
      'POST',
      path('ns1'),
      checkpoint('bad', { timeoutSeconds: 0, mode: 'node', containers: ['a', 'b', 'c'], nodeName: 7 }),
    );
    expect(r.status).toBe(422);
    expect(r.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'Checkpoint.kcr.dev "bad" is invalid: [spec.pod: Required value, ' +
        'spec.timeoutSeconds: Invalid value: 0: spec.timeoutSeconds in body should be greater than or equal to 1, ' +
        'spec.mode: Unsupported value: "node": supported values: "container", "pod", ' +
        'spec.containers: Invalid value: ["a","b","c"]: spec.containers in body should have at most 2 items, ' +
        'spec.nodeName: Invalid value: "integer": spec.nodeName in body must be of type string: "integer"]',
      reason: 'Invalid',
      details: {
        name: 'bad',
        group,
        kind: 'Checkpoint',
        causes: [
          { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.pod' },
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: 0: spec.timeoutSeconds in body should be greater than or equal to 1',
            field: 'spec.timeoutSeconds',
          },
          {
            reason: 'FieldValueNotSupported',
            message: 'Unsupported value: "node": supported values: "container", "pod"',
            field: 'spec.mode',
          },
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: ["a","b","c"]: spec.containers in body should have at most 2 items',
            field: 'spec.containers',
          },
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: "integer": spec.nodeName in body must be of type string: "integer"',
            field: 'spec.nodeName',
          },
        ],
      },
      code: 422,
    });
  });

  it('keeps status on writes to the object, spec on writes to /status, and counts spec changes in generation', async () => {
    const c2 = (await custom.createNamespacedCustomObject({
      group,
      version,
      namespace: 'ns2',
      plural,
      body: checkpoint('c2', { pod: 'web' }),
    })) as Ckpt;
    const withStatus = (await custom.replaceNamespacedCustomObjectStatus({
      group,
      version,
      namespace: 'ns2',
      plural,
      name: 'c2',
      body: { ...c2, spec: { pod: 'changed-through-status' }, status: { phase: 'Running' } },
    })) as Ckpt;
    expect(withStatus.spec.pod).toBe('web');
    expect(withStatus.status?.phase).toBe('Running');
    expect(withStatus.metadata.generation).toBe(1);
    const replaced = (await custom.replaceNamespacedCustomObject({
      group,
      version,
      namespace: 'ns2',
      plural,
      name: 'c2',
      body: { ...withStatus, spec: { pod: 'db' }, status: { phase: 'Pending' } },
    })) as Ckpt;
    expect(replaced.spec.pod).toBe('db');
    expect(replaced.status?.phase).toBe('Running');
    expect(replaced.metadata.generation).toBe(2);
    // A label change is no spec change; a write that changes nothing keeps the version.
    const labelled = (await custom.patchNamespacedCustomObject(
      { group, version, namespace: 'ns2', plural, name: 'c2', body: { metadata: { labels: { a: 'b' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as Ckpt;
    expect(labelled.metadata.generation).toBe(2);
    const again = (await custom.patchNamespacedCustomObject(
      { group, version, namespace: 'ns2', plural, name: 'c2', body: { metadata: { labels: { a: 'b' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as Ckpt;
    expect(again.metadata.resourceVersion).toBe(labelled.metadata.resourceVersion);
    // client-node's default PATCH is a JSON patch.
    const jsonPatched = (await custom.patchNamespacedCustomObjectStatus({
      group,
      version,
      namespace: 'ns2',
      plural,
      name: 'c2',
      body: [{ op: 'replace', path: '/status/phase', value: 'Done' }],
    })) as Ckpt;
    expect(jsonPatched.status?.phase).toBe('Done');
    const smp = await raw.request(
      'PATCH',
      path('ns2', 'c2'),
      { spec: { pod: 'x' } },
      PatchStrategy.StrategicMergePatch,
    );
    expect(smp.status).toBe(415);
  });

  it('refuses a write from a stale resourceVersion with 409 Conflict', async () => {
    const first = (await custom.createNamespacedCustomObject({
      group,
      version,
      namespace: 'ns3',
      plural,
      body: checkpoint('c3', { pod: 'web' }),
    })) as Ckpt;
    await custom.replaceNamespacedCustomObject({
      group,
      version,
      namespace: 'ns3',
      plural,
      name: 'c3',
      body: { ...first, spec: { pod: 'one' } },
    });
    const stale = await raw.request('PUT', path('ns3', 'c3'), { ...first, spec: { pod: 'two' } });
    expect(stale.status).toBe(409);
    expect(stale.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'Operation cannot be fulfilled on checkpoints.kcr.dev "c3": the object has been modified; please apply your changes to the latest version and try again',
      reason: 'Conflict',
      details: { name: 'c3', group, kind: plural },
      code: 409,
    });
    const noVersion = await raw.request('PUT', path('ns3', 'c3'), {
      ...first,
      metadata: { name: 'c3' },
      spec: { pod: 'three' },
    });
    expect(noVersion.status).toBe(422);
  });

  it('lists and watches by a selectable field, and says which fields are selectable', async () => {
    for (const [name, node] of [
      ['on-a', 'node-a'],
      ['on-b', 'node-b'],
    ] as const)
      await custom.createNamespacedCustomObject({
        group,
        version,
        namespace: 'ns4',
        plural,
        body: checkpoint(name, { pod: name, nodeName: node }),
      });
    const mine = (await custom.listClusterCustomObject({
      group,
      version,
      plural,
      fieldSelector: 'spec.nodeName=node-b',
    })) as {
      items: Ckpt[];
      metadata: { resourceVersion: string };
    };
    expect(mine.items.map((i) => i.metadata.name)).toEqual(['on-b']);
    const w = await raw.watch(
      `/apis/${group}/${version}/${plural}?watch=true&fieldSelector=spec.nodeName%3Dnode-b&resourceVersion=${mine.metadata.resourceVersion}`,
    );
    await custom.createNamespacedCustomObject({
      group,
      version,
      namespace: 'ns4',
      plural,
      body: checkpoint('more-a', { pod: 'x', nodeName: 'node-a' }),
    });
    await custom.createNamespacedCustomObject({
      group,
      version,
      namespace: 'ns4',
      plural,
      body: checkpoint('more-b', { pod: 'y', nodeName: 'node-b' }),
    });
    const [event] = await w.next(1);
    w.close();
    expect(event).toMatchObject({
      type: 'ADDED',
      object: { kind: 'Checkpoint', apiVersion: `${group}/${version}`, metadata: { name: 'more-b' } },
    });
    const bad = await raw.request('GET', `/apis/${group}/${version}/${plural}?fieldSelector=spec.pod%3Dx`);
    expect(bad.status).toBe(400);
    expect((bad.body as { message: string }).message).toBe(
      '"spec.pod" is not a known field selector: only "metadata.name", "metadata.namespace", "spec.nodeName"',
    );
  });

  it('keeps an object with finalizers until the last one is removed', async () => {
    await custom.createNamespacedCustomObject({
      group,
      version,
      namespace: 'ns5',
      plural,
      body: {
        ...checkpoint('held', { pod: 'web' }),
        metadata: { name: 'held', finalizers: ['kcr.dev/cleanup'] },
      },
    });
    await custom.deleteNamespacedCustomObject({ group, version, namespace: 'ns5', plural, name: 'held' });
    const marked = (await custom.getNamespacedCustomObject({
      group,
      version,
      namespace: 'ns5',
      plural,
      name: 'held',
    })) as {
      metadata: { deletionTimestamp?: string };
    };
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    await custom.patchNamespacedCustomObject(
      { group, version, namespace: 'ns5', plural, name: 'held', body: { metadata: { finalizers: null } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const gone = await raw.request('GET', path('ns5', 'held'));
    expect(gone.status).toBe(404);
    expect((gone.body as { message: string }).message).toBe('checkpoints.kcr.dev "held" not found');
  });

  it("checks RBAC per API group, with the authorizer's wording", async () => {
    const kubeconfig = await c.kubeconfigFor({
      user: 'agent',
      rules: [{ verbs: ['get', 'list', 'watch'], resources: ['checkpoints'], apiGroups: [group] }],
    });
    const agent = await RawClient.fromKubeconfig(kubeconfig);
    expect((await agent.request('GET', `/apis/${group}/${version}/${plural}`)).status).toBe(200);
    const refused = await agent.request(
      'PATCH',
      path('ns1', 'c1', 'status'),
      { status: { phase: 'Done' } },
      PatchStrategy.MergePatch,
    );
    expect(refused.status).toBe(403);
    expect((refused.body as { message: string }).message).toBe(
      'checkpoints.kcr.dev "c1" is forbidden: User "agent" cannot patch resource "checkpoints/status" in API group "kcr.dev" in the namespace "ns1"',
    );
  });

  it('takes its objects with it when deleted', async () => {
    const other = {
      ...crd,
      metadata: { name: `schedules.${group}` },
      spec: { ...crd.spec, names: { plural: 'schedules', kind: 'Schedule' } },
    };
    expect(
      (await raw.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', other)).status,
    ).toBe(201);
    const sched = `/apis/${group}/${version}/namespaces/ns6/schedules`;
    expect(
      (await raw.request('POST', sched, { ...checkpoint('s1', { pod: 'x' }), kind: 'Schedule' })).status,
    ).toBe(201);
    expect(
      (
        await raw.request(
          'DELETE',
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/schedules.${group}`,
        )
      ).status,
    ).toBe(200);
    expect((await raw.request('GET', sched)).status).toBe(404);
  });
});

describe('Leases', () => {
  const lease = (holder: string): V1Lease => ({
    metadata: { name: 'kcr-controller', namespace: 'kcr-system' },
    spec: { holderIdentity: holder, leaseDurationSeconds: 15, renewTime: new Date() },
  });

  it('let exactly one of two contenders take over an expired lease', async () => {
    const created = await leases.createNamespacedLease({ namespace: 'kcr-system', body: lease('a') });
    // Both read the same version and try to take it: the second write is a 409.
    const attempts = await Promise.allSettled(
      ['b', 'c'].map((holder) =>
        leases.replaceNamespacedLease({
          name: 'kcr-controller',
          namespace: 'kcr-system',
          body: { ...created, spec: { ...created.spec, holderIdentity: holder } },
        }),
      ),
    );
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    const rejected = attempts.find((a) => a.status === 'rejected') as PromiseRejectedResult;
    expect((rejected.reason as { code: number }).code).toBe(409);
    const now = await leases.readNamespacedLease({ name: 'kcr-controller', namespace: 'kcr-system' });
    expect(['b', 'c']).toContain(now.spec!.holderIdentity);
  });

  it('validates the lease duration as the API server does', async () => {
    const r = await raw.request('POST', '/apis/coordination.k8s.io/v1/namespaces/kcr-system/leases', {
      metadata: { name: 'bad' },
      spec: { holderIdentity: 'x', leaseDurationSeconds: 0 },
    });
    expect(r.status).toBe(422);
    expect((r.body as { message: string }).message).toBe(
      'Lease.coordination.k8s.io "bad" is invalid: spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
    );
  });
});
