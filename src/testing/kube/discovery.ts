/**
 * API discovery as clients read it (the legacy, unaggregated documents): /api, /api/v1, /apis,
 * /apis/GROUP and /apis/GROUP/VERSION list what is served right now, so a CRD or an API turned on
 * appears there and a client can tell whether the server serves a resource at all.
 */
import type { Resources, Resource } from './resources.js';

const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

/** Served by dedicated routes rather than the generic layer, but part of what a cluster serves. */
const CORE_EXTRAS = [
  {
    name: 'events',
    singularName: 'event',
    namespaced: true,
    kind: 'Event',
    verbs: ['list'],
    shortNames: ['ev'],
  },
];
/** What discovery says a subresource takes (the Eviction one in another group, as the real one). */
const SUBRESOURCE_KINDS: Record<string, { kind: string; group?: string; version?: string }> = {
  exec: { kind: 'PodExecOptions' },
  eviction: { kind: 'Eviction', group: 'policy', version: 'v1' },
  proxy: { kind: 'NodeProxyOptions' },
  token: { kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1' },
  scale: { kind: 'Scale', group: 'autoscaling', version: 'v1' },
};
const AUTHORIZATION = {
  group: 'authorization.k8s.io',
  version: 'v1',
  resources: [
    {
      name: 'selfsubjectaccessreviews',
      singularName: 'selfsubjectaccessreview',
      namespaced: false,
      kind: 'SelfSubjectAccessReview',
      verbs: ['create'],
    },
  ],
};

function apiResources(r: Resource): Record<string, unknown>[] {
  const main = {
    name: r.plural,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: VERBS,
    ...(r.shortNames ? { shortNames: r.shortNames } : {}),
  };
  const subs = [...(r.statusSubresource ? ['status'] : []), ...(r.otherSubresources ?? [])].map((sub) => {
    const own = sub === 'status' || sub === 'finalize';
    const other =
      sub === 'proxy' && r.kind === 'Service'
        ? { kind: 'ServiceProxyOptions' }
        : (SUBRESOURCE_KINDS[sub] ?? { kind: r.kind });
    return {
      name: `${r.plural}/${sub}`,
      singularName: '',
      namespaced: r.namespaced,
      ...(own ? { kind: r.kind } : other),
      verbs:
        sub === 'status' || sub === 'scale'
          ? ['get', 'patch', 'update']
          : own
            ? ['update']
            : ['create', 'get'],
    };
  });
  return [main, ...subs];
}

function groupVersions(resources: Resources): Map<string, Set<string>> {
  const groups = new Map<string, Set<string>>();
  for (const r of resources.all()) {
    if (!r.group) continue;
    if (!groups.has(r.group)) groups.set(r.group, new Set());
    groups.get(r.group)!.add(r.version);
  }
  groups.set(AUTHORIZATION.group, new Set([AUTHORIZATION.version]));
  return groups;
}

/** Newest first, as Kubernetes orders versions: GA over beta over alpha, then by number. */
function byPriority(versions: Iterable<string>): string[] {
  const rank = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0];
    return [m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1, Number(m[1]), Number(m[3] ?? 0)];
  };
  return [...versions].sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    return y[0]! - x[0]! || y[1]! - x[1]! || y[2]! - x[2]!;
  });
}

function apiGroup(name: string, versions: Set<string>): Record<string, unknown> {
  const sorted = byPriority(versions).map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: sorted, preferredVersion: sorted[0] };
}

/** The discovery document at `path`, or undefined when the path is not a discovery path. */
export function discovery(path: string, resources: Resources, serverAddress: string): unknown {
  const p = path.replace(/\/$/, '');
  if (p === '/api') {
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
    };
  }
  if (p === '/api/v1') {
    const core = resources.all().filter((r) => r.group === '');
    return {
      kind: 'APIResourceList',
      groupVersion: 'v1',
      resources: [...core.flatMap(apiResources), ...CORE_EXTRAS],
    };
  }
  const groups = groupVersions(resources);
  if (p === '/apis') {
    return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groups].map(([n, v]) => apiGroup(n, v)) };
  }
  const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(p);
  if (!m || !groups.has(m[1]!)) return undefined;
  const [group, version] = [m[1]!, m[2]];
  if (!version) return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, groups.get(group)!) };
  if (!groups.get(group)!.has(version)) return undefined;
  const served =
    group === AUTHORIZATION.group
      ? AUTHORIZATION.resources
      : resources
          .all()
          .filter((r) => r.group === group && r.version === version)
          .flatMap(apiResources);
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: `${group}/${version}`,
    resources: served,
  };
}
