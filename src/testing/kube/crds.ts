/**
 * CustomResourceDefinitions (apiextensions.k8s.io/v1) as the API server handles them: a CRD is
 * checked (name = plural.group, one storage version, a schema per version, selectable fields
 * that name a scalar field of the schema), marked NamesAccepted and Established, and from then on
 * its served versions are resources of their own at /apis/GROUP/VERSION/..., sharing one storage,
 * with the schema, status subresource and selectable fields of their version. Deleting the CRD
 * deletes its objects.
 */
import type { FieldError } from './field-errors.js';
import { ObjectStore, type History } from './history.js';
import type { KubeObject } from './objects.js';
import type { Resource, Resources } from './resources.js';
import type { JsonSchema } from './schema.js';

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema?: { openAPIV3Schema?: JsonSchema };
  subresources?: { status?: Record<string, never> };
  selectableFields?: { jsonPath: string }[];
}

export interface CrdSpec {
  group: string;
  scope: 'Namespaced' | 'Cluster';
  names: { plural: string; singular?: string; kind: string; listKind?: string; shortNames?: string[] };
  versions: CrdVersion[];
}

const spec = (crd: KubeObject): CrdSpec => crd.spec as CrdSpec;

/** The schema a selectable field's path leads to, if it names a field of the schema. */
function schemaAt(schema: JsonSchema | undefined, jsonPath: string): JsonSchema | undefined {
  if (!/^(\.[A-Za-z_][\w-]*)+$/.test(jsonPath)) return undefined;
  let s = schema;
  for (const part of jsonPath.slice(1).split('.')) s = s?.properties?.[part];
  return s;
}

export function validateCrd(crd: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const s = spec(crd);
  if (!s?.group) errors.push({ type: 'Required', field: 'spec.group' });
  if (!s?.names?.plural) errors.push({ type: 'Required', field: 'spec.names.plural' });
  if (!s?.names?.kind) errors.push({ type: 'Required', field: 'spec.names.kind' });
  if (errors.length > 0) return errors;
  if (crd.metadata.name !== `${s.names.plural}.${s.group}`) {
    errors.push({
      type: 'Invalid',
      field: 'metadata.name',
      value: crd.metadata.name,
      detail: 'must be spec.names.plural+"."+spec.group',
    });
  }
  if (s.scope !== 'Namespaced' && s.scope !== 'Cluster')
    errors.push({
      type: 'NotSupported',
      field: 'spec.scope',
      value: s.scope ?? '',
      supported: ['Cluster', 'Namespaced'],
    });
  const versions = s.versions ?? [];
  if (versions.length === 0)
    errors.push({
      type: 'Required',
      field: 'spec.versions',
      detail: 'must have exactly one version marked as storage version',
    });
  else if (versions.filter((v) => v.storage).length !== 1)
    errors.push({
      type: 'Invalid',
      field: 'spec.versions',
      value: versions.map((v) => v.name),
      detail: 'must have exactly one version marked as storage version',
    });
  versions.forEach((v, i) => {
    const path = `spec.versions[${i}]`;
    const schema = v.schema?.openAPIV3Schema;
    if (!schema) {
      errors.push({
        type: 'Required',
        field: `${path}.schema.openAPIV3Schema`,
        detail: 'schemas are required',
      });
      return;
    }
    if (schema.type !== 'object')
      errors.push({
        type: 'Invalid',
        field: `${path}.schema.openAPIV3Schema.type`,
        value: schema.type ?? '',
        detail: 'must be object at the root',
      });
    (v.selectableFields ?? []).forEach((f, j) => {
      const target = schemaAt(schema, f.jsonPath);
      const field = `${path}.selectableFields[${j}].jsonPath`;
      if (!target)
        errors.push({
          type: 'Invalid',
          field,
          value: f.jsonPath,
          detail: 'is an invalid path: does not refer to a valid field',
        });
      else if (!['string', 'integer', 'boolean'].includes(target.type ?? ''))
        errors.push({
          type: 'Invalid',
          field,
          value: f.jsonPath,
          detail: 'selectable field type must be one of: string, integer, boolean',
        });
    });
    if ((v.selectableFields?.length ?? 0) > 8)
      errors.push({
        type: 'Invalid',
        field: `${path}.selectableFields`,
        value: v.selectableFields!.length,
        detail: 'must have at most 8 items',
      });
  });
  return errors;
}

/** Serves (or stops serving) what the CRDs define; object storage outlives updates of a CRD. */
export class CustomResources {
  private readonly stores = new Map<string, ObjectStore<KubeObject>>();

  constructor(
    private readonly resources: Resources,
    private readonly history: History,
  ) {}

  private storeOf(group: string, plural: string): ObjectStore<KubeObject> {
    const id = `${group}/${plural}`;
    let store = this.stores.get(id);
    if (!store) this.stores.set(id, (store = new ObjectStore<KubeObject>(id, this.history)));
    return store;
  }

  /** A CRD was created or changed: serve its versions as they now are, and report it Established. */
  define(crd: KubeObject, crds: ObjectStore<KubeObject>): void {
    const s = spec(crd);
    this.resources.unserve(s.group, s.names.plural);
    const store = this.storeOf(s.group, s.names.plural);
    for (const v of s.versions.filter((x) => x.served)) {
      const r: Resource = {
        group: s.group,
        version: v.name,
        plural: s.names.plural,
        singular: s.names.singular ?? s.names.kind.toLowerCase(),
        kind: s.names.kind,
        namespaced: s.scope === 'Namespaced',
        ...(s.names.shortNames ? { shortNames: s.names.shortNames } : {}),
        store,
        statusSubresource: v.subresources?.status !== undefined,
        selectableFields: (v.selectableFields ?? []).map((f) => f.jsonPath.slice(1)),
        custom: true,
        generation: true,
        ...(v.schema?.openAPIV3Schema ? { schema: v.schema.openAPIV3Schema } : {}),
        unconditionalUpdate: false,
      };
      this.resources.serve(r);
    }
    const established = (crd.status as { conditions?: { type: string }[] } | undefined)?.conditions?.some(
      (c) => c.type === 'Established',
    );
    if (!established) {
      // The CRD controllers' part: names accepted, then Established (a second write, as in a real cluster).
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const condition = (type: string, reason: string, message: string) => ({
        type,
        status: 'True',
        lastTransitionTime: now,
        reason,
        message,
      });
      crd.status = {
        conditions: [
          condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
          condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
        ],
        acceptedNames: {
          ...s.names,
          singular: s.names.singular ?? s.names.kind.toLowerCase(),
          listKind: s.names.listKind ?? `${s.names.kind}List`,
        },
        storedVersions: s.versions.filter((v) => v.storage).map((v) => v.name),
      };
      crds.set(crd.metadata.name, crd);
    }
  }

  /** A CRD was deleted: its resources go, and every object of them with a DELETED event. */
  undefine(crd: KubeObject): void {
    const s = spec(crd);
    this.resources.unserve(s.group, s.names.plural);
    this.storeOf(s.group, s.names.plural).clear();
  }
}

const crdSchemaRoot: JsonSchema = {
  type: 'object',
  properties: {
    spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  },
};

/** The customresourcedefinitions resource itself. */
export function crdResource(custom: CustomResources, history: History): Resource {
  const store = new ObjectStore<KubeObject>('apiextensions.k8s.io/customresourcedefinitions', history);
  return {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    plural: 'customresourcedefinitions',
    singular: 'customresourcedefinition',
    kind: 'CustomResourceDefinition',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    store,
    statusSubresource: true,
    selectableFields: [],
    custom: false,
    generation: true,
    schema: crdSchemaRoot,
    unconditionalUpdate: false,
    validate: validateCrd,
    written: (crd) => custom.define(crd, store),
    removed: (crd) => custom.undefine(crd),
  };
}
