/**
 * The generic REST verbs of every resource in resources.ts, with the API server's semantics:
 * list (label and field selectors, resourceVersion, limit/continue), watch, get, create (name or
 * generateName, schema pruning, defaults and validation), update and patch (409 Conflict on a
 * stale resourceVersion, status kept by writes to the object and spec kept by writes to
 * /status, metadata.generation on spec changes, no-op writes leave the version alone), delete
 * (preconditions, finalizers) and the Status bodies of each refusal.
 */
import { randomUUID } from 'node:crypto';
import jsonpatch from 'fast-json-patch';
import type { Handled, RouteContext } from './api-routes.js';
import { invalid, type FieldError } from './field-errors.js';
import { currentResourceVersion, statusBody, type KubeObject, type ObjectMeta } from './objects.js';
import {
  apiVersionOf,
  matches as matchesFilter,
  parseFieldSelector,
  qualifiedPlural,
  storeKey,
  type Filter,
  type Resource,
} from './resources.js';
import { pruneAndDefault, validateSchema } from './schema.js';
import { WatchStream } from './watch.js';

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

const ok = (status: number, body: unknown): Handled => ({ status, body });
const fail = (status: number, message: string, r?: Resource, name?: string, reason?: string): Handled => ({
  status,
  body: statusBody(
    status,
    message,
    r ? { ...(name ? { name } : {}), ...(r.group ? { group: r.group } : {}), kind: r.plural } : undefined,
    reason,
  ),
});

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The object as this version serves it (versions of a CRD share storage, "None" conversion). */
function shown(r: Resource, o: KubeObject): KubeObject {
  return { ...o, apiVersion: apiVersionOf(r), kind: r.kind };
}

function conflict(r: Resource, name: string): Handled {
  return fail(
    409,
    `Operation cannot be fulfilled on ${qualifiedPlural(r)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    r,
    name,
    'Conflict',
  );
}

/** The query's selectors, or the 400 the API server answers for one it cannot use. */
function filterOf(ctx: RouteContext, r: Resource, namespace: string | undefined): Filter | Handled {
  const labels = ctx.url.searchParams.get('labelSelector') ?? undefined;
  if (labels && !/^[\w./\-=!,() ]*$/.test(labels))
    return fail(400, `unable to parse requirement: invalid label selector: "${labels}"`);
  const fields = parseFieldSelector(ctx.url.searchParams.get('fieldSelector') ?? '');
  if (!fields) return fail(400, `invalid field selector: ${ctx.url.searchParams.get('fieldSelector')}`);
  const allowed = ['metadata.name', 'metadata.namespace', ...r.selectableFields];
  const unknown = fields.find((f) => !allowed.includes(f.field));
  if (unknown) {
    return fail(
      400,
      r.custom
        ? `"${unknown.field}" is not a known field selector: only ${allowed.map((a) => `"${a}"`).join(', ')}`
        : `field label not supported: ${unknown.field}`,
    );
  }
  return { namespace, ...(labels ? { labels } : {}), fields };
}

const keyOf = (o: KubeObject) => storeKey(o.metadata.namespace, o.metadata.name);

/** By namespace/name in byte order, as etcd keys sort (and continue tokens compare). */
const byKey = (a: KubeObject, b: KubeObject) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0);

function current(r: Resource): KubeObject[] {
  r.sync?.();
  return [...r.store.values()].sort(byKey);
}
interface ContinueToken {
  rv: string;
  after: string;
}

function list(ctx: RouteContext, r: Resource, filter: Filter): Handled {
  const q = ctx.url.searchParams;
  const token = q.get('continue');
  let at: string | undefined;
  let after = '';
  if (token) {
    let parsed: ContinueToken;
    try {
      parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueToken;
    } catch {
      return fail(
        400,
        'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
      );
    }
    if (ctx.state.history.expired(parsed.rv))
      return fail(
        410,
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        undefined,
        undefined,
        'Expired',
      );
    [at, after] = [parsed.rv, parsed.after];
  } else if (q.get('resourceVersionMatch') === 'Exact' && q.get('resourceVersion')) {
    at = q.get('resourceVersion')!;
    if (ctx.state.history.expired(at))
      return fail(
        410,
        'The resourceVersion for the provided list is too old.',
        undefined,
        undefined,
        'Expired',
      );
  }
  const items = (
    at === undefined
      ? current(r)
      : ctx.state.history
          .stateAt(r.store.resource, new Map(current(r).map((o) => [keyOf(o), o])), Number(at))
          .sort(byKey)
  )
    .filter((o) => keyOf(o) > after)
    .filter((o) => matchesFilter(o, filter));
  const rv = at ?? currentResourceVersion();
  const limit = Number(q.get('limit') ?? 0);
  const page = limit > 0 ? items.slice(0, limit) : items;
  const more = items.length - page.length;
  const last = page.at(-1);
  const metadata: Record<string, unknown> = { resourceVersion: rv };
  if (more > 0 && last) {
    const next: ContinueToken = { rv, after: keyOf(last) };
    metadata.continue = Buffer.from(JSON.stringify(next)).toString('base64url');
    metadata.remainingItemCount = more;
  }
  return ok(200, {
    kind: `${r.kind}List`,
    apiVersion: apiVersionOf(r),
    metadata,
    items: page.map((o) => shown(r, o)),
  });
}

function watch(ctx: RouteContext, r: Resource, filter: Filter): Handled {
  const q = ctx.url.searchParams;
  const timeout = q.get('timeoutSeconds');
  return {
    stream: (req, res) => {
      const w = new WatchStream(res, r, ctx.state.history, filter, (done) => ctx.watches.delete(done));
      ctx.watches.add(w);
      w.start(req, () => current(r), {
        resourceVersion: q.get('resourceVersion') ?? '',
        allowBookmarks: q.get('allowWatchBookmarks') === 'true',
        sendInitialEvents: q.get('sendInitialEvents') === 'true',
        ...(timeout ? { timeoutSeconds: Number(timeout) } : {}),
        bookmarkIntervalMs: ctx.state.bookmarkIntervalMs,
      });
    },
  };
}

/** Schema pruning and defaults, then every validation: the 422 (or Strict's 400) when any fails. */
function admitted(
  ctx: RouteContext,
  r: Resource,
  o: KubeObject,
  old: KubeObject | undefined,
): Handled | undefined {
  const name = o.metadata.name;
  const errors: FieldError[] = [];
  if (r.schema) {
    const pruned = pruneAndDefault(o, r.schema);
    if (pruned.length > 0 && ctx.url.searchParams.get('fieldValidation') === 'Strict')
      return fail(400, `strict decoding error: ${pruned.map((p) => `unknown field "${p}"`).join(', ')}`);
    errors.push(...validateSchema(o, r.schema));
  }
  errors.push(...(r.validate?.(o, old) ?? []));
  return errors.length > 0 ? ok(422, invalid(r.kind, r.group, name, errors)) : undefined;
}

function newName(meta: Partial<ObjectMeta>): string {
  if (meta.name) return meta.name;
  if (!meta.generateName) return '';
  const suffix = Array.from(
    { length: 5 },
    () => GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)],
  );
  return `${meta.generateName}${suffix.join('')}`;
}

export function create(ctx: RouteContext, r: Resource, namespace: string | undefined): Handled {
  if (!isObject(ctx.body)) return fail(400, 'the body of the request was not a valid object');
  const input = structuredClone(ctx.body) as Partial<KubeObject>;
  const meta = (isObject(input.metadata) ? input.metadata : {}) as Partial<ObjectMeta>;
  if (meta.namespace && namespace && meta.namespace !== namespace)
    return fail(400, 'the namespace of the provided object does not match the namespace sent on the request');
  const name = newName(meta);
  if (!name)
    return ok(
      422,
      invalid(r.kind, r.group, '', [
        { type: 'Required', field: 'metadata.name', detail: 'name or generateName is required' },
      ]),
    );
  if (name.length > 253 || !SUBDOMAIN.test(name)) {
    return ok(
      422,
      invalid(r.kind, r.group, name, [
        {
          type: 'Invalid',
          field: 'metadata.name',
          value: name,
          detail:
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        },
      ]),
    );
  }
  const key = storeKey(namespace, name);
  if (r.store.has(key)) return fail(409, `${qualifiedPlural(r)} "${name}" already exists`, r, name);
  const object: KubeObject = {
    ...input,
    apiVersion: apiVersionOf(r),
    kind: r.kind,
    metadata: {
      ...meta,
      name,
      ...(namespace ? { namespace } : {}),
      uid: randomUUID(),
      resourceVersion: '',
      creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      ...(r.generation ? { generation: 1 } : {}),
    },
  };
  delete object.metadata.deletionTimestamp;
  if (r.statusSubresource) delete object.status;
  r.defaults?.(object, undefined);
  r.prepareCreate?.(object);
  const refused = admitted(ctx, r, object, undefined);
  if (refused) return refused;
  if (ctx.url.searchParams.get('dryRun') === 'All') return ok(201, object);
  r.store.set(key, object);
  r.written?.(object);
  return ok(201, shown(r, object));
}

const withoutMetaAndStatus = (o: KubeObject): string => {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  return JSON.stringify(rest);
};

/** Writes `next` over `old`, the way PUT and PATCH both end. `status`: the /status subresource. */
function replace(
  ctx: RouteContext,
  r: Resource,
  old: KubeObject,
  input: KubeObject,
  status: boolean,
): Handled {
  const name = old.metadata.name;
  const rv = input.metadata?.resourceVersion;
  if (!rv && !r.unconditionalUpdate) {
    return ok(
      422,
      invalid(r.kind, r.group, name, [
        {
          type: 'Invalid',
          field: 'metadata.resourceVersion',
          value: '0x0',
          detail: 'must be specified for an update',
        },
      ]),
    );
  }
  if (rv && rv !== old.metadata.resourceVersion) return conflict(r, name);
  let next: KubeObject;
  if (status) {
    next = { ...structuredClone(old), status: input.status };
  } else {
    const meta = (isObject(input.metadata) ? input.metadata : {}) as Partial<ObjectMeta>;
    next = {
      ...input,
      apiVersion: apiVersionOf(r),
      kind: r.kind,
      metadata: {
        ...meta,
        name,
        ...(old.metadata.namespace ? { namespace: old.metadata.namespace } : {}),
        uid: old.metadata.uid,
        creationTimestamp: old.metadata.creationTimestamp,
        resourceVersion: old.metadata.resourceVersion,
        ...(old.metadata.deletionTimestamp ? { deletionTimestamp: old.metadata.deletionTimestamp } : {}),
        ...(r.generation ? { generation: old.metadata.generation } : {}),
      },
    };
    if (r.statusSubresource) {
      if (old.status === undefined) delete next.status;
      else next.status = structuredClone(old.status);
    }
  }
  r.defaults?.(next, old);
  const refused = admitted(ctx, r, next, old);
  if (refused) return refused;
  if (r.generation && withoutMetaAndStatus(next) !== withoutMetaAndStatus(old))
    next.metadata.generation = Number(old.metadata.generation ?? 1) + 1;
  if (JSON.stringify(next) === JSON.stringify({ ...old, apiVersion: next.apiVersion, kind: next.kind }))
    return ok(200, shown(r, old)); // a no-op write: no new version, no event
  if (ctx.url.searchParams.get('dryRun') === 'All') return ok(200, shown(r, next));
  const key = storeKey(old.metadata.namespace, name);
  const finalizers = next.metadata.finalizers as string[] | undefined;
  if (next.metadata.deletionTimestamp && !finalizers?.length) {
    r.store.set(key, next);
    r.store.delete(key);
    r.removed?.(next);
    return ok(200, shown(r, next));
  }
  r.store.set(key, next);
  r.written?.(next);
  return ok(200, shown(r, next));
}

export function update(ctx: RouteContext, r: Resource, old: KubeObject, status: boolean): Handled {
  if (!isObject(ctx.body)) return fail(400, 'the body of the request was not a valid object');
  const input = structuredClone(ctx.body) as KubeObject;
  const given = input.metadata?.name;
  if (given !== old.metadata.name)
    return fail(
      400,
      `the name of the object (${given ?? ''}) does not match the name on the URL (${old.metadata.name})`,
    );
  return replace(ctx, r, old, input, status);
}

/** RFC 7386: objects merge, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const PATCH_TYPES = 'application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml';

export function patch(ctx: RouteContext, r: Resource, old: KubeObject, status: boolean): Handled {
  const type = (ctx.contentType ?? '').split(';')[0]!.trim();
  let result: unknown;
  if (type === 'application/json-patch+json') {
    if (!Array.isArray(ctx.body))
      return fail(400, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
    try {
      result = jsonpatch.applyPatch(
        structuredClone(old),
        ctx.body as jsonpatch.Operation[],
        true,
        false,
      ).newDocument;
    } catch (err) {
      return fail(
        422,
        `the server rejected our request due to an error in our request: ${(err as Error).message}`,
      );
    }
  } else if (
    type === 'application/merge-patch+json' ||
    type === 'application/apply-patch+yaml' ||
    // Built-in types take strategic merge patches; for the maps and fields tests patch, it merges alike.
    (type === 'application/strategic-merge-patch+json' && !r.custom)
  ) {
    result = mergePatch(old, ctx.body);
  } else {
    return fail(
      415,
      `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES}`,
    );
  }
  const next = result as KubeObject;
  // A patch carries a resourceVersion only when it means it as a precondition.
  const patchedRv =
    (isObject(ctx.body) && isObject(ctx.body.metadata) && ctx.body.metadata.resourceVersion) || undefined;
  next.metadata = {
    ...next.metadata,
    resourceVersion: (patchedRv as string | undefined) ?? old.metadata.resourceVersion,
  };
  return replace(ctx, r, old, next, status);
}

const isApply = (ctx: RouteContext) =>
  (ctx.contentType ?? '').split(';')[0]!.trim() === 'application/apply-patch+yaml';

function applyCreate(ctx: RouteContext, r: Resource, namespace: string | undefined, name: string): Handled {
  if (!isObject(ctx.body)) return fail(400, 'the body of the request was not a valid object');
  const meta = isObject(ctx.body.metadata) ? ctx.body.metadata : {};
  if (meta.name !== undefined && meta.name !== name)
    return fail(
      400,
      `the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`,
    );
  return create({ ...ctx, body: { ...ctx.body, metadata: { ...meta, name } } }, r, namespace);
}

interface DeleteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
}

export function remove(ctx: RouteContext, r: Resource, old: KubeObject): Handled {
  const name = old.metadata.name;
  const pre = (isObject(ctx.body) ? (ctx.body as DeleteOptions).preconditions : undefined) ?? {};
  for (const [field, label] of [
    ['uid', 'UID'],
    ['resourceVersion', 'ResourceVersion'],
  ] as const) {
    const wanted = pre[field];
    if (wanted && wanted !== old.metadata[field])
      return fail(
        409,
        `Operation cannot be fulfilled on ${qualifiedPlural(r)} "${name}": Precondition failed: ${label} in precondition: ${wanted}, ${label} in object meta: ${old.metadata[field]}`,
        r,
        name,
        'Conflict',
      );
  }
  const key = storeKey(old.metadata.namespace, name);
  if (ctx.url.searchParams.get('dryRun') === 'All') return ok(200, shown(r, old));
  if ((old.metadata.finalizers as string[] | undefined)?.length) {
    // With finalizers the object stays, marked, until the last finalizer is removed.
    if (!old.metadata.deletionTimestamp) {
      old.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      old.metadata.deletionGracePeriodSeconds = 0;
      r.store.set(key, old);
    }
    return ok(200, shown(r, old));
  }
  r.store.delete(key);
  r.removed?.(old);
  if (r.deleteReturnsObject) return ok(200, shown(r, old));
  return ok(200, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name, ...(r.group ? { group: r.group } : {}), kind: r.plural, uid: old.metadata.uid },
  });
}

/** One request to a served resource; `namespace` undefined for a cluster-wide list or watch. */
export function serveResource(
  ctx: RouteContext,
  r: Resource,
  namespace: string | undefined,
  name: string | undefined,
  subresource: string | undefined,
): Handled {
  if (subresource && !(subresource === 'status' && r.statusSubresource))
    return fail(404, 'the server could not find the requested resource');
  if (!name) {
    if (ctx.method === 'POST' && namespace === undefined && r.namespaced)
      return fail(405, 'the server does not allow this method on the requested resource');
    if (ctx.method === 'POST') return create(ctx, r, namespace);
    if (ctx.method !== 'GET')
      return fail(405, 'the server does not allow this method on the requested resource');
    const filter = filterOf(ctx, r, namespace);
    if (!('fields' in filter)) return filter;
    const w = ctx.url.searchParams.get('watch');
    return w === 'true' || w === '1' ? watch(ctx, r, filter) : list(ctx, r, filter);
  }
  r.sync?.();
  const old = r.store.get(storeKey(namespace, name));
  // Server-side apply creates what is not there yet (the object named by the URL).
  if (!old && ctx.method === 'PATCH' && !subresource && isApply(ctx))
    return applyCreate(ctx, r, namespace, name);
  if (!old) return fail(404, `${qualifiedPlural(r)} "${name}" not found`, r, name);
  switch (ctx.method) {
    case 'GET':
      return ok(200, shown(r, old));
    case 'PUT':
      return update(ctx, r, old, subresource === 'status');
    case 'PATCH':
      return patch(ctx, r, old, subresource === 'status');
    case 'DELETE':
      return subresource
        ? fail(405, 'the server does not allow this method on the requested resource')
        : remove(ctx, r, old);
    default:
      return fail(405, 'the server does not allow this method on the requested resource');
  }
}
