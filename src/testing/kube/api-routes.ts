/**
 * The REST routes of the test API server. Each checks RBAC the way the real authorizer words it
 * and answers with real object JSON or a real Status.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { ClusterState, User } from './cluster-state.js';
import { discovery } from './discovery.js';
import type { Caller } from './kubelet-server.js';
import { newMeta, notFound, statusBody, type ObjectMeta, type PodJson } from './objects.js';
import { evict } from './eviction.js';
import { admitRestore } from './pod-checkpoints.js';
import { serveResource } from './rest.js';
import type { WatchStream } from './watch.js';
import type { Pem } from '../pki.js';

export type Handled =
  | { status: number; body: unknown }
  | { status: number; raw: string; contentType: string }
  /** A response written over time (a watch). */
  | { stream: (req: IncomingMessage, res: ServerResponse) => void };

export interface RouteContext {
  state: ClusterState;
  caller: Caller;
  method: string;
  url: URL;
  body: unknown;
  /** The request's Content-Type (which kind of PATCH). */
  contentType?: string;
  kubeletClient: Pem;
  ca: string;
  /** The API server's open watches, which a restart cuts. */
  watches: Set<WatchStream>;
  /** host:port, for /api's serverAddressByClientCIDRs. */
  serverAddress: string;
}

const VERBS: Record<string, string> = {
  GET: 'get',
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

function userOf(ctx: RouteContext): User {
  const known = ctx.state.users.get(ctx.caller.user);
  return {
    name: ctx.caller.user,
    groups: [...ctx.caller.groups, ...(known?.groups ?? [])],
    rules: known?.rules ?? [],
  };
}

/** The authorizer's message, e.g. `pods "web" is forbidden: User "alice" cannot get resource "pods" ...`. */
function forbidden(
  user: string,
  verb: string,
  resource: string,
  namespace?: string,
  name?: string,
  group = '',
): Handled {
  const [plural] = resource.split('/');
  const qualified = group ? `${plural}.${group}` : plural;
  const subject = name ? `${qualified} "${name}"` : qualified;
  const scope = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
  return {
    status: 403,
    body: statusBody(
      403,
      `${subject} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${group}" ${scope}`,
      { ...(name === undefined ? {} : { name }), ...(group ? { group } : {}), kind: plural },
    ),
  };
}

export function denied(
  ctx: RouteContext,
  verb: string,
  resource: string,
  namespace?: string,
  name?: string,
  group = '',
): Handled | undefined {
  return ctx.state.allows(userOf(ctx), verb, resource, namespace, group, name)
    ? undefined
    : forbidden(ctx.caller.user, verb, resource, namespace, name, group);
}

function list(kind: string, items: unknown[]): Handled {
  return {
    status: 200,
    body: { kind: `${kind}List`, apiVersion: 'v1', metadata: { resourceVersion: '1' }, items },
  };
}

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** The API server's validation messages for names and label values, word for word. */
function invalidMeta(kind: 'Pod', meta: Partial<ObjectMeta>, name: string): Handled | undefined {
  const causes: string[] = [];
  if (kind === 'Pod' && (name.length > 253 || !SUBDOMAIN.test(name))) {
    causes.push(
      name.length > 253
        ? `metadata.name: Invalid value: "${name}": must be no more than 253 characters`
        : `metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    );
  }
  for (const value of Object.values(meta.labels ?? {})) {
    if (value.length > 63)
      causes.push(`metadata.labels: Invalid value: "${value}": must be no more than 63 characters`);
    else if (!LABEL_VALUE.test(value))
      causes.push(
        `metadata.labels: Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'`,
      );
  }
  if (causes.length === 0) return undefined;
  return {
    status: 422,
    body: statusBody(422, `${kind} "${name}" is invalid: ${causes.join(', ')}`, { name, kind }),
  };
}

function createPod(ctx: RouteContext, ns: string): Handled {
  const input = ctx.body as Partial<PodJson> | undefined;
  const meta: Partial<ObjectMeta> = input?.metadata ?? {};
  const name =
    meta.name ||
    (meta.generateName ? `${meta.generateName}${randomBytes(3).toString('hex').slice(0, 5)}` : '');
  const containers = input?.spec?.containers ?? [];
  const bad = containers.find((c) => !c.name || !c.image);
  if (!name || containers.length === 0 || bad) {
    const what = !name
      ? 'metadata.name: Required value: name or generateName is required'
      : 'spec.containers: Required value';
    return { status: 422, body: statusBody(422, `Pod "${name}" is invalid: ${what}`, { name, kind: 'Pod' }) };
  }
  const invalid = invalidMeta('Pod', meta, name);
  if (invalid) return invalid;
  if (ctx.state.pods.has(`${ns}/${name}`))
    return { status: 409, body: statusBody(409, `pods "${name}" already exists`, { name, kind: 'pods' }) };
  const pod: PodJson = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: newMeta(name, ns, { ...meta, name, namespace: ns }),
    spec: { restartPolicy: 'Always', ...(input?.spec ?? { containers: [] }) },
    status: { phase: 'Pending' },
  };
  const user = userOf(ctx);
  const refused = admitRestore(
    ctx.state,
    { user: user.name, may: (...a) => ctx.state.allows(user, ...a) },
    pod,
  );
  if (refused) return refused;
  if (ctx.url.searchParams.get('dryRun') === 'All') return { status: 201, body: pod };
  ctx.state.pods.set(`${ns}/${name}`, pod);
  ctx.state.admitPod(pod);
  return { status: 201, body: pod };
}

/** Pods are created and deleted here (scheduling, the kubelet's part); the rest is generic. */
function podWrite(ctx: RouteContext, ns: string, name: string | undefined): Handled | undefined {
  if (!name && ctx.method === 'POST') return createPod(ctx, ns);
  if (!name || ctx.method !== 'DELETE') return undefined;
  const pod = ctx.state.pods.get(`${ns}/${name}`);
  if (!pod) return { status: 404, body: notFound('pods', name) };
  ctx.state.pods.delete(`${ns}/${name}`);
  ctx.state.deletedPods.push(`${ns}/${name}`);
  return {
    status: 200,
    body: {
      ...pod,
      metadata: {
        ...pod.metadata,
        deletionTimestamp: new Date().toISOString(),
        deletionGracePeriodSeconds: 0,
      },
    },
  };
}

function events(ctx: RouteContext, ns: string): Handled {
  const no = denied(ctx, 'list', 'events', ns);
  if (no) return no;
  const conditions = (ctx.url.searchParams.get('fieldSelector') ?? '')
    .split(',')
    .filter(Boolean)
    .map((c) => c.split('='));
  const items = ctx.state.events.filter((e) => {
    if (e.metadata.namespace !== ns) return false;
    const involved = e.involvedObject as Record<string, string>;
    return conditions.every(
      ([k, v]) => !k?.startsWith('involvedObject.') || involved[k.slice('involvedObject.'.length)] === v,
    );
  });
  return list('Event', items);
}

/** Forwards to the node's kubelet with the API server's own identity and passes the answer through. */
async function nodeProxy(ctx: RouteContext, node: string, rest: string): Promise<Handled> {
  const verb = VERBS[ctx.method] ?? 'get';
  const no = denied(ctx, verb, 'nodes/proxy', undefined, node);
  if (no) return no;
  const target = ctx.state.nodes.get(node);
  if (!target) return { status: 404, body: notFound('nodes', node) };
  const url = `https://127.0.0.1:${target.kubeletPort}/${rest}${ctx.url.search}`;
  return new Promise<Handled>((resolve) => {
    const req = https.request(
      url,
      { method: ctx.method, cert: ctx.kubeletClient.cert, key: ctx.kubeletClient.key, ca: ctx.ca },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 502,
            raw: Buffer.concat(chunks).toString('utf8'),
            contentType: String(res.headers['content-type'] ?? 'text/plain'),
          }),
        );
      },
    );
    req.on('error', (err) =>
      resolve({
        status: 503,
        body: statusBody(
          503,
          `error trying to reach service: dial tcp 127.0.0.1:${target.kubeletPort}: ${err.message}`,
        ),
      }),
    );
    req.end();
  });
}

function accessReview(ctx: RouteContext): Handled {
  const spec =
    (ctx.body as { spec?: { resourceAttributes?: Record<string, string> } } | undefined)?.spec ?? {};
  const attrs = spec.resourceAttributes ?? {};
  const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : (attrs.resource ?? '');
  const allowed = ctx.state.allows(
    userOf(ctx),
    attrs.verb ?? '',
    resource,
    attrs.namespace || undefined,
    attrs.group ?? '',
  );
  return {
    status: 201,
    body: {
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec,
      status: allowed ? { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding' } : { allowed: false },
    },
  };
}

export async function route(ctx: RouteContext): Promise<Handled> {
  const path = ctx.url.pathname;
  let m: RegExpExecArray | null;
  if (path === '/version' || path === '/version/') {
    const v = ctx.state.version;
    return {
      status: 200,
      body: {
        ...v,
        gitCommit: '0'.repeat(40),
        gitTreeState: 'clean',
        buildDate: '2026-01-01T00:00:00Z',
        goVersion: 'go1.23.4',
        compiler: 'gc',
        platform: 'linux/amd64',
      },
    };
  }
  if ((m = /^\/api\/v1\/nodes\/([^/]+)\/proxy\/(.*)$/.exec(path)))
    return nodeProxy(ctx, decodeURIComponent(m[1]!), m[2]!);
  if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/events$/.exec(path)))
    return events(ctx, decodeURIComponent(m[1]!));
  if (path === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews' && ctx.method === 'POST')
    return accessReview(ctx);
  if (ctx.method === 'GET') {
    const doc = discovery(path, ctx.state.resources, ctx.serverAddress);
    if (doc) return { status: 200, body: doc };
  }
  return generic(ctx, path) ?? notServed;
}

const notServed: Handled = {
  status: 404,
  body: statusBody(404, 'the server could not find the requested resource'),
};

const RESOURCE_PATH =
  /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))\/(?:namespaces\/([^/]+)\/)?([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?$/;

/** Anything in resources.ts: RBAC as the authorizer checks it, then the generic verbs. */
function generic(ctx: RouteContext, path: string): Handled | undefined {
  const m = RESOURCE_PATH.exec(path);
  if (!m) return undefined;
  const [group, version] = m[1] ? ['', m[1]] : [m[2]!, m[3]!];
  const [ns, plural, name, sub] = [m[4], m[5]!, m[6], m[7]].map((p) => p && decodeURIComponent(p));
  const r = ctx.state.resources.find(group, version, plural!);
  if (!r) return undefined;
  // A namespaced resource is listed across namespaces without one; a cluster one never has one.
  if ((!r.namespaced && ns !== undefined) || (r.namespaced && ns === undefined && name !== undefined))
    return notServed;
  const watching = ['true', '1'].includes(ctx.url.searchParams.get('watch') ?? '');
  const verb = name
    ? VERBS[ctx.method]!
    : ctx.method === 'GET'
      ? watching
        ? 'watch'
        : 'list'
      : ctx.method === 'DELETE'
        ? 'deletecollection'
        : VERBS[ctx.method]!;
  const no = denied(ctx, verb, sub ? `${plural}/${sub}` : plural!, ns, name, group);
  if (no) return no;
  if (r.plural === 'pods' && r.group === '' && !sub) {
    const written = podWrite(ctx, ns!, name);
    if (written) return written;
  }
  if (r.plural === 'pods' && r.group === '' && sub === 'eviction' && name && ctx.method === 'POST')
    return evict(ctx, ns!, name, ctx.state.podDisruptionBudgets);
  return serveResource(ctx, r, ns, name, sub);
}
