/**
 * Every object kcr install renders is valid Kubernetes for the oldest and newest versions kcr
 * supports (the Kubernetes OpenAPI schemas as kubernetes-models compiles them: 4.1.0 is generated
 * from Kubernetes 1.25, 4.5.1 from 1.33), and the CRDs' own schemas accept and refuse sample
 * objects exactly as the zod schemas the code reads them with do.
 */
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { customResourceDefinitions, type JsonSchema } from '../../src/cluster/crds.js';
import { installManifests } from '../../src/cluster/manifests.js';
import { KINDS, type KindName } from '../../src/cluster/resources.js';
import { OVERLAYS } from '../../src/cluster/deploy-files.js';
import { SCHEMA_VERSIONS, schemaProblem } from '../../src/testing/kube-schemas.js';

const VERSIONS = SCHEMA_VERSIONS;
const validate = schemaProblem;

const RENDERED = [installManifests(), ...Object.values(OVERLAYS).map((o) => installManifests(o.options))];

describe.each(Object.entries(VERSIONS))('Kubernetes %s schemas', (_version, pkg) => {
  it('accept every object of kcr install and of each overlay', async () => {
    const problems = [];
    for (const set of RENDERED) for (const o of set) problems.push(await validate(pkg, o));
    expect(problems.filter(Boolean)).toEqual([]);
  });

  it('refuse a broken object (the check can fail)', async () => {
    const ds = structuredClone(installManifests().find((o) => o.kind === 'DaemonSet')!);
    const spec = ds.spec as { template: { spec: { containers: { ports: { containerPort: unknown }[] }[] } } };
    spec.template.spec.containers[0]!.ports[0]!.containerPort = 'metrics';
    expect(await validate(pkg, ds)).toMatch(/containerPort must be integer/);
  });
});

function crdValidator(kind: KindName) {
  const crd = customResourceDefinitions({}).find((c) => (c.spec.names as { kind: string }).kind === kind)!;
  const version = (crd.spec.versions as { schema: { openAPIV3Schema: JsonSchema } }[])[0]!;
  const ajv = new Ajv({ strict: false, allErrors: true });
  return ajv.compile(version.schema.openAPIV3Schema);
}

const meta = { name: 'x', namespace: 'shop' };
const checkpoint = (spec: unknown, status?: unknown) => ({
  apiVersion: 'kcr.dev/v1alpha1',
  kind: 'Checkpoint',
  metadata: meta,
  spec,
  ...(status === undefined ? {} : { status }),
});
const schedule = (spec: unknown) => ({
  apiVersion: 'kcr.dev/v1alpha1',
  kind: 'CheckpointSchedule',
  metadata: meta,
  spec,
});
const restore = (spec: unknown) => ({
  apiVersion: 'kcr.dev/v1alpha1',
  kind: 'Restore',
  metadata: meta,
  spec,
});

const SAMPLES: [string, KindName, unknown, boolean][] = [
  ['a minimal Checkpoint', 'Checkpoint', checkpoint({ pod: 'web-7d9f' }), true],
  [
    'a full Checkpoint with status',
    'Checkpoint',
    checkpoint(
      {
        pod: 'web',
        containers: ['app'],
        nodeName: 'n1',
        store: 's3://b/p',
        encryption: { recipients: ['age1x'] },
        timeoutSeconds: 60,
      },
      {
        phase: 'Succeeded',
        containers: [
          {
            name: 'app',
            archivePath: '/var/lib/kubelet/checkpoints/a.tar',
            backupId: '20261206t022700z-1a2b3c4d',
            size: 10,
            sha256: 'ab',
          },
        ],
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'Stored',
            message: 'stored',
            lastTransitionTime: '2026-12-06T02:27:00Z',
          },
        ],
      },
    ),
    true,
  ],
  ['a Checkpoint without a pod', 'Checkpoint', checkpoint({ containers: ['app'] }), false],
  ['a pod name with capitals', 'Checkpoint', checkpoint({ pod: 'Web' }), false],
  ['a timeout of 0', 'Checkpoint', checkpoint({ pod: 'web', timeoutSeconds: 0 }), false],
  [
    'encryption without recipients',
    'Checkpoint',
    checkpoint({ pod: 'web', encryption: { recipients: [] } }),
    false,
  ],
  ['an unknown phase', 'Checkpoint', checkpoint({ pod: 'web' }, { phase: 'Done' }), false],
  [
    'a condition status other than True/False/Unknown',
    'Checkpoint',
    checkpoint(
      { pod: 'web' },
      { conditions: [{ type: 'Ready', status: 'yes', reason: 'R', message: '', lastTransitionTime: 't' }] },
    ),
    false,
  ],
  [
    'a cron schedule with retention',
    'CheckpointSchedule',
    schedule({
      selector: { matchLabels: { app: 'web' } },
      triggers: { cron: { schedule: '0 2 * * *', timeZone: 'Europe/Berlin' }, onAnnotation: true },
      store: 'oci://registry.example/backups',
      retention: { keepLast: 7, maxAge: '30d', maxSize: '20GiB', per: 'pod' },
    }),
    true,
  ],
  ['a schedule without a store', 'CheckpointSchedule', schedule({ selector: {}, triggers: {} }), false],
  [
    'a max age in words',
    'CheckpointSchedule',
    schedule({ selector: {}, triggers: {}, store: 'file:///b', retention: { maxAge: '7 days' } }),
    false,
  ],
  [
    'a selector operator kubectl does not know',
    'CheckpointSchedule',
    schedule({
      selector: { matchExpressions: [{ key: 'a', operator: 'Like' }] },
      triggers: {},
      store: 'file:///b',
    }),
    false,
  ],
  [
    'a restore from a backup',
    'Restore',
    restore({ source: { backup: { id: 'x', store: 'file:///b' } }, node: 'n2', expose: [8080] }),
    true,
  ],
  [
    'a restore exposing port 70000',
    'Restore',
    restore({ source: { image: 'r/x:1' }, expose: [70000] }),
    false,
  ],
  ['a restore without a source', 'Restore', restore({ name: 'web' }), false],
];

describe('the CRD schemas, generated from the zod schemas', () => {
  it.each(SAMPLES)('%s: the CRD and the code agree', (_what, kind, sample, valid) => {
    const validator = crdValidator(kind);
    expect(validator(sample), JSON.stringify(validator.errors)).toBe(valid);
    expect(KINDS[kind].object.safeParse(sample).success).toBe(valid);
  });

  it('are structural: no additionalProperties: false, no $schema, a type on every property', () => {
    const walk = (node: unknown, path: string): string[] => {
      if (typeof node !== 'object' || node === null) return [];
      const n = node as JsonSchema;
      const bad: string[] = [];
      if (n.additionalProperties === false) bad.push(`${path}: additionalProperties false`);
      if ('$schema' in n || '$ref' in n || 'anyOf' in n || 'oneOf' in n) bad.push(`${path}: not structural`);
      for (const [k, v] of Object.entries((n.properties as JsonSchema | undefined) ?? {})) {
        if (!(v as JsonSchema).type) bad.push(`${path}.${k}: no type`);
        bad.push(...walk(v, `${path}.${k}`));
      }
      if (n.items) bad.push(...walk(n.items, `${path}[]`));
      if (typeof n.additionalProperties === 'object') bad.push(...walk(n.additionalProperties, `${path}{}`));
      return bad;
    };
    for (const crd of customResourceDefinitions({})) {
      const version = (crd.spec.versions as { schema: { openAPIV3Schema: JsonSchema } }[])[0]!;
      expect(walk(version.schema.openAPIV3Schema, crd.metadata.name)).toEqual([]);
    }
  });
});
