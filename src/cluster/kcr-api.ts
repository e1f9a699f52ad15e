/**
 * kcr's custom resources through @kubernetes/client-node's CustomObjectsApi: every object read is
 * checked with its zod schema (an API server is outside input too), status writes go to the status
 * subresource with the object's resourceVersion (optimistic concurrency), and a conflict is
 * retried on the latest object, because the writer owns the status it writes.
 */
import {
  ApiException,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { z } from 'zod';
import { KcrError } from '../errors.js';
import { apiError } from '../kube/index.js';
import { GROUP, KINDS, VERSION, type KindName } from './resources.js';

export type KindObject<K extends KindName> = z.infer<(typeof KINDS)[K]['object']>;

export function isConflict(err: unknown): boolean {
  return err instanceof ApiException && err.code === 409;
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiException && err.code === 404;
}

export class KcrApi {
  readonly custom: CustomObjectsApi;
  constructor(readonly kc: KubeConfig) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  /** The collection path of a kind, across namespaces or in one. */
  static path(kind: KindName, namespace?: string): string {
    const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return `/apis/${GROUP}/${VERSION}${ns}/${KINDS[kind].plural}`;
  }

  parse<K extends KindName>(kind: K, value: unknown): KindObject<K> {
    const parsed = KINDS[kind].object.safeParse(value);
    if (!parsed.success) {
      const name = (value as { metadata?: { name?: string } } | undefined)?.metadata?.name ?? '?';
      throw new KcrError(
        'remote',
        `${kind} ${name}: not a valid ${kind}: ${parsed.error.issues[0]?.message}`,
        {
          hint: 'is the installed CRD from another kcr version? run kcr install again',
        },
      );
    }
    return parsed.data as KindObject<K>;
  }

  /** The list as the API server sent it (items unchecked, with apiVersion and kind), for informers. */
  async listRaw(
    kind: KindName,
    options: { namespace?: string; labelSelector?: string; fieldSelector?: string } = {},
  ): Promise<{ items: KubernetesObject[]; metadata?: { resourceVersion?: string } }> {
    const base = { group: GROUP, version: VERSION, plural: KINDS[kind].plural };
    const selectors = {
      ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
      ...(options.fieldSelector ? { fieldSelector: options.fieldSelector } : {}),
    };
    let raw: unknown;
    try {
      raw = options.namespace
        ? await this.custom.listNamespacedCustomObject({
            ...base,
            namespace: options.namespace,
            ...selectors,
          })
        : await this.custom.listClusterCustomObject({ ...base, ...selectors });
    } catch (err) {
      throw apiError(err, `list ${KINDS[kind].plural}`);
    }
    const list = raw as { items?: KubernetesObject[]; metadata?: { resourceVersion?: string } };
    return {
      // List items come without apiVersion and kind; watch events carry them.
      items: (list.items ?? []).map((i) => ({ apiVersion: `${GROUP}/${VERSION}`, kind, ...i })),
      ...(list.metadata ? { metadata: list.metadata } : {}),
    };
  }

  async list<K extends KindName>(
    kind: K,
    options: { namespace?: string; labelSelector?: string; fieldSelector?: string } = {},
  ): Promise<KindObject<K>[]> {
    return (await this.listRaw(kind, options)).items.map((i) => this.parse(kind, i));
  }

  async get<K extends KindName>(kind: K, namespace: string, name: string): Promise<KindObject<K>> {
    const raw = await this.custom.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: KINDS[kind].plural,
      namespace,
      name,
    });
    return this.parse(kind, raw);
  }

  /** Creates `obj`; an object of that name already there is returned as `existed` (creation is idempotent). */
  async create<K extends KindName>(
    kind: K,
    obj: KindObject<K>,
  ): Promise<{ object: KindObject<K>; existed: boolean }> {
    const namespace = obj.metadata.namespace ?? 'default';
    try {
      const raw = await this.custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: KINDS[kind].plural,
        namespace,
        body: obj,
      });
      return { object: this.parse(kind, raw), existed: false };
    } catch (err) {
      if (!isConflict(err)) throw apiError(err, `create ${kind} ${namespace}/${obj.metadata.name}`);
      return { object: await this.get(kind, namespace, obj.metadata.name), existed: true };
    }
  }

  /** A JSON merge patch of the object (not its status). */
  async patch<K extends KindName>(
    kind: K,
    namespace: string,
    name: string,
    patch: object,
  ): Promise<KindObject<K>> {
    const raw = await this.custom.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, plural: KINDS[kind].plural, namespace, name, body: patch },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    return this.parse(kind, raw);
  }

  async delete(kind: KindName, namespace: string, name: string): Promise<void> {
    try {
      await this.custom.deleteNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: KINDS[kind].plural,
        namespace,
        name,
      });
    } catch (err) {
      if (!isNotFound(err)) throw apiError(err, `delete ${kind} ${namespace}/${name}`);
    }
  }

  /**
   * Writes `status(latest)` to the status subresource of `obj`, retrying on the latest object after a
   * conflict. `status` may return undefined to write nothing (e.g. another writer already did).
   */
  async writeStatus<K extends KindName>(
    kind: K,
    obj: KindObject<K>,
    status: (latest: KindObject<K>) => KindObject<K>['status'] | undefined,
  ): Promise<KindObject<K>> {
    let current = obj;
    const namespace = obj.metadata.namespace ?? 'default';
    for (let attempt = 0; ; attempt++) {
      const next = status(current);
      if (next === undefined) return current;
      try {
        const raw = await this.custom.replaceNamespacedCustomObjectStatus({
          group: GROUP,
          version: VERSION,
          plural: KINDS[kind].plural,
          namespace,
          name: obj.metadata.name,
          body: { ...current, status: next },
        });
        return this.parse(kind, raw);
      } catch (err) {
        if (!isConflict(err) || attempt >= 5)
          throw apiError(err, `update ${kind} ${namespace}/${obj.metadata.name} status`);
        current = await this.get(kind, namespace, obj.metadata.name);
      }
    }
  }
}
