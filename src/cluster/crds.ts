/**
 * The CustomResourceDefinitions of kcr's resources, generated from the zod schemas in
 * `resources.ts` (zod's own JSON Schema output, made structural: the API server refuses
 * `additionalProperties: false` beside `properties`, `$schema` and `propertyNames`), with the
 * status subresource, printer columns and selectable fields.
 */
import { z } from 'zod';
import { GROUP, KINDS, VERSION, type KindName } from './resources.js';

export type JsonSchema = { [key: string]: unknown };

const SAFE_LIMIT = Number.MAX_SAFE_INTEGER;

/** A zod JSON Schema node turned into a structural OpenAPI v3 schema node, recursively. */
function structural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(structural);
  if (typeof node !== 'object' || node === null) return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema' || key === 'propertyNames') continue;
    if (key === 'additionalProperties' && value === false) continue;
    // zod bounds every integer by the safe range; int64 fields need no such bound.
    if ((key === 'minimum' && value === -SAFE_LIMIT) || (key === 'maximum' && value === SAFE_LIMIT)) continue;
    out[key] = key === 'properties' ? mapValues(value, structural) : structural(value);
  }
  if (out.description === 'RFC 3339 time') out.format = 'date-time';
  return out;
}

function mapValues(obj: unknown, f: (v: unknown) => unknown): JsonSchema {
  return Object.fromEntries(Object.entries(obj as JsonSchema).map(([k, v]) => [k, f(v)]));
}

/** The OpenAPI v3 schema of one zod type, as a CRD carries it. */
export function openApiSchema(schema: z.ZodType): JsonSchema {
  return structural(z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' })) as JsonSchema;
}

interface KindExtras {
  columns: { name: string; type: string; jsonPath: string; priority?: number; description?: string }[];
  selectableFields?: { jsonPath: string }[];
  /** CEL rules (x-kubernetes-validations) by property path under spec. */
  validations?: Record<string, { rule: string; message: string }[]>;
}

const AGE = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

const EXTRAS: Record<KindName, KindExtras> = {
  Checkpoint: {
    columns: [
      { name: 'Pod', type: 'string', jsonPath: '.spec.pod' },
      { name: 'Node', type: 'string', jsonPath: '.spec.nodeName' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Backup', type: 'string', jsonPath: '.status.containers[0].backupId' },
      { name: 'Size', type: 'integer', jsonPath: '.status.containers[0].size', priority: 1 },
      { name: 'Store', type: 'string', jsonPath: '.status.store', priority: 1 },
      AGE,
    ],
    selectableFields: [{ jsonPath: '.spec.nodeName' }, { jsonPath: '.spec.pod' }],
  },
  CheckpointSchedule: {
    columns: [
      { name: 'Cron', type: 'string', jsonPath: '.spec.triggers.cron.schedule' },
      { name: 'Suspend', type: 'boolean', jsonPath: '.spec.suspend' },
      { name: 'Last', type: 'date', jsonPath: '.status.lastScheduleTime' },
      { name: 'Next', type: 'string', jsonPath: '.status.nextScheduleTime' },
      { name: 'Store', type: 'string', jsonPath: '.spec.store', priority: 1 },
      { name: 'Error', type: 'string', jsonPath: '.status.lastError', priority: 1 },
      AGE,
    ],
  },
  Restore: {
    columns: [
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Pod', type: 'string', jsonPath: '.status.podName' },
      { name: 'Node', type: 'string', jsonPath: '.status.nodeName' },
      { name: 'Image', type: 'string', jsonPath: '.status.image', priority: 1 },
      AGE,
    ],
    validations: {
      source: [
        {
          rule: '(has(self.backup) ? 1 : 0) + (has(self.image) ? 1 : 0) + (has(self.podCheckpoint) ? 1 : 0) == 1',
          message: 'exactly one of source.backup, source.image and source.podCheckpoint',
        },
      ],
    },
  },
};

const DESCRIPTIONS: Record<KindName, string> = {
  Checkpoint:
    'A one-off backup of a Pod (all or some of its containers), carried out by the node agent on its node.',
  CheckpointSchedule:
    'Backups of the Pods a selector covers: on a cron schedule, on request (annotation) and before a drain.',
  Restore: 'A Pod restored from a backup, a checkpoint image or a PodCheckpoint, created by the controller.',
};

function objectSchema(kind: KindName): JsonSchema {
  const shape = KINDS[kind].object.shape;
  const spec = openApiSchema(shape.spec);
  for (const [path, rules] of Object.entries(EXTRAS[kind].validations ?? {})) {
    const properties = spec.properties as Record<string, JsonSchema>;
    properties[path] = { ...properties[path], 'x-kubernetes-validations': rules };
  }
  return {
    type: 'object',
    description: DESCRIPTIONS[kind],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec,
      status: openApiSchema(shape.status.unwrap()),
    },
    required: ['spec'],
  };
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: JsonSchema;
  [field: string]: unknown;
}

export function customResourceDefinition(
  kind: KindName,
  labels: Record<string, string>,
): CustomResourceDefinition {
  const k = KINDS[kind];
  const extras = EXTRAS[kind];
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${k.plural}.${GROUP}`, labels },
    spec: {
      group: GROUP,
      names: {
        kind,
        listKind: `${kind}List`,
        plural: k.plural,
        singular: k.singular,
        shortNames: [...k.shortNames],
        categories: ['kcr'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: objectSchema(kind) },
          subresources: { status: {} },
          additionalPrinterColumns: extras.columns,
          ...(extras.selectableFields ? { selectableFields: extras.selectableFields } : {}),
        },
      ],
    },
  };
}

export function customResourceDefinitions(labels: Record<string, string>): CustomResourceDefinition[] {
  return (Object.keys(KINDS) as KindName[]).map((kind) => customResourceDefinition(kind, labels));
}
