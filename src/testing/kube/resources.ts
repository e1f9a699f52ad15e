/**
 * The resources the test API server serves through its generic REST layer (rest.ts): built-in
 * ones (pods, nodes, leases, podcheckpoints, CRDs) and those CRDs define. Each is described once:
 * where it lives (group, version, plural, scope), its storage, what its field selectors may name,
 * its schema and the hooks that give it its own behaviour (the pod's scheduling, the node's
 * FakeNode, admission).
 */
import { matchesSelector, parseSelector } from '../../kube/selector.js';
import type { FieldError } from './field-errors.js';
import type { ObjectStore } from './history.js';
import type { KubeObject } from './objects.js';
import type { JsonSchema } from './schema.js';

export interface Resource {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  store: ObjectStore<KubeObject>;
  /** Has a /status subresource: writes to the object keep its status, /status writes keep the rest. */
  statusSubresource: boolean;
  /** Other subresources discovery lists (exec, proxy, eviction...), served by their own routes. */
  otherSubresources?: string[];
  /** Field selector names beyond metadata.name and metadata.namespace (`spec.nodeName`). */
  selectableFields: string[];
  /** Defined by a CRD: CRD wording for errors, no strategic merge patch, no unconditional update. */
  custom: boolean;
  /** metadata.generation is kept and increments when anything but metadata and status changes. */
  generation: boolean;
  schema?: JsonSchema;
  /** An update without metadata.resourceVersion is allowed (pods, leases), not refused. */
  unconditionalUpdate: boolean;
  /** DELETE answers with the object (pods) rather than a Success Status. */
  deleteReturnsObject?: boolean;
  validate?(object: KubeObject, old: KubeObject | undefined): FieldError[];
  /**
   * The defaulting functions, run on every write (create, update, patch, apply) before validation,
   * as the real server defaults each decoded object: writing the same object again then changes
   * nothing. `old` is the stored object on an update.
   */
  defaults?(object: KubeObject, old: KubeObject | undefined): void;
  /** The API server's strategy on create, after the status was cleared (an initial condition). */
  prepareCreate?(object: KubeObject): void;
  /** Brings the store up to date before a read (nodes follow their FakeNode). */
  sync?(): void;
  /** After a write is stored (nodes copy labels and spec back into the FakeNode). */
  written?(object: KubeObject): void;
  /** After the object is gone from the store (a CRD takes its resources with it). */
  removed?(object: KubeObject): void;
}

export const apiVersionOf = (r: Pick<Resource, 'group' | 'version'>): string =>
  r.group ? `${r.group}/${r.version}` : r.version;

/** `checkpoints.kcr.dev`, or `pods` for the core group: how Status messages name a resource. */
export const qualifiedPlural = (r: Resource): string => (r.group ? `${r.plural}.${r.group}` : r.plural);

export const storeKey = (namespace: string | undefined, name: string): string =>
  namespace ? `${namespace}/${name}` : name;

export class Resources {
  private readonly served = new Map<string, Resource>();

  private static id(group: string, version: string, plural: string): string {
    return `${group}/${version}/${plural}`;
  }

  serve(r: Resource): void {
    this.served.set(Resources.id(r.group, r.version, r.plural), r);
  }

  unserve(group: string, plural: string): void {
    for (const [id, r] of this.served) if (r.group === group && r.plural === plural) this.served.delete(id);
  }

  find(group: string, version: string, plural: string): Resource | undefined {
    return this.served.get(Resources.id(group, version, plural));
  }

  all(): Resource[] {
    return [...this.served.values()];
  }
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** `spec.nodeName=node-1,status.phase!=Failed` (`==` is `=`); undefined when it cannot be parsed. */
export function parseFieldSelector(text: string): FieldRequirement[] | undefined {
  const out: FieldRequirement[] = [];
  for (const part of text.split(',').filter((p) => p.trim() !== '')) {
    const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!m) return undefined;
    out.push({ field: m[1]!, op: m[2] === '!=' ? '!=' : '=', value: m[3]! });
  }
  return out;
}

/** A field's value as a selector compares it: strings as they are, numbers and booleans printed. */
export function fieldValue(object: KubeObject, field: string): string {
  let v: unknown = object;
  for (const part of field.split('.'))
    v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[part] : undefined;
  return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export interface Filter {
  namespace?: string;
  labels?: string;
  fields: FieldRequirement[];
}

export function matches(object: KubeObject, f: Filter): boolean {
  if (f.namespace !== undefined && object.metadata.namespace !== f.namespace) return false;
  if (f.labels && !matchesSelector(object.metadata.labels, parseSelector(f.labels))) return false;
  return f.fields.every((r) => (fieldValue(object, r.field) === r.value) === (r.op === '='));
}
