/**
 * The built-in resources `kcr install` applies and `kcr drain` meets, on the generic REST layer:
 * namespaces, serviceaccounts, secrets, configmaps and services (core), the four RBAC kinds,
 * daemonsets and deployments (apps/v1) and poddisruptionbudgets (policy/v1). Each is stored as the
 * API server stores it: the defaults its registry strategy and the v1 defaulting functions add
 * (pkg/apis/core/v1/defaults.go, pkg/apis/apps/v1/defaults.go), applied after every write as the
 * real server does (so applying the same object twice changes nothing), the status it starts with,
 * and the validation rules a manifest can trip (a selector that misses the template's labels, a
 * changed roleRef, a Service name that is no DNS-1035 label).
 */
import type { FieldError } from './field-errors.js';
import type { ObjectStore } from './history.js';
import type { KubeObject } from './objects.js';
import type { Resource } from './resources.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Json => (isObject(v) ? v : {});

const base = {
  statusSubresource: false,
  custom: false,
  generation: false,
  unconditionalUpdate: true,
  selectableFields: [] as string[],
} as const;

/** pkg/apis/core/v1/defaults.go for a probe. */
function defaultProbe(probe: unknown): void {
  if (!isObject(probe)) return;
  probe.timeoutSeconds ??= 1;
  probe.periodSeconds ??= 10;
  probe.successThreshold ??= 1;
  probe.failureThreshold ??= 3;
  if (isObject(probe.httpGet)) probe.httpGet.scheme ??= 'HTTP';
}

/** An image without a tag, or tagged latest, is pulled Always; any other IfNotPresent. */
function pullPolicy(image: unknown): string {
  const ref = String(image ?? '');
  if (ref.includes('@')) return 'IfNotPresent';
  const tag = /:([^/:]+)$/.exec(ref)?.[1];
  return tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** SetDefaults_PodSpec and its containers, volumes and env, as a Pod template gets them. */
export function defaultPodSpec(spec: Json): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  if (spec.serviceAccountName !== undefined) spec.serviceAccount ??= spec.serviceAccountName;
  for (const key of ['containers', 'initContainers']) {
    for (const c of (spec[key] as Json[] | undefined) ?? []) {
      c.terminationMessagePath ??= '/dev/termination-log';
      c.terminationMessagePolicy ??= 'File';
      c.imagePullPolicy ??= pullPolicy(c.image);
      for (const p of (c.ports as Json[] | undefined) ?? []) p.protocol ??= 'TCP';
      for (const e of (c.env as Json[] | undefined) ?? []) {
        const ref = obj(e.valueFrom).fieldRef;
        if (isObject(ref)) ref.apiVersion ??= 'v1';
      }
      defaultProbe(c.livenessProbe);
      defaultProbe(c.readinessProbe);
      defaultProbe(c.startupProbe);
    }
  }
  for (const v of (spec.volumes as Json[] | undefined) ?? []) {
    if (isObject(v.secret)) v.secret.defaultMode ??= 420;
    if (isObject(v.configMap)) v.configMap.defaultMode ??= 420;
    if (isObject(v.hostPath)) v.hostPath.type ??= '';
  }
}

function defaultTemplate(spec: Json): void {
  const template = obj(spec.template);
  template.metadata ??= {};
  template.spec ??= {};
  defaultPodSpec(obj(template.spec));
  spec.template = template;
}

/** `selector` does not match template `labels`: the apps validation every workload gets. */
function validateWorkload(o: KubeObject): FieldError[] {
  const spec = obj(o.spec);
  const selector = obj(spec.selector);
  const matchLabels = obj(selector.matchLabels) as Record<string, string>;
  const labels = obj(obj(obj(spec.template).metadata).labels) as Record<string, string>;
  const errors: FieldError[] = [];
  if (Object.keys(matchLabels).length === 0 && !Array.isArray(selector.matchExpressions)) {
    errors.push({ type: 'Required', field: 'spec.selector' });
  } else if (Object.entries(matchLabels).some(([k, v]) => labels[k] !== v)) {
    errors.push({
      type: 'Invalid',
      field: 'spec.template.metadata.labels',
      value: labels,
      detail: '`selector` does not match template `labels`',
    });
  }
  const containers = obj(obj(spec.template).spec).containers;
  if (!Array.isArray(containers) || containers.length === 0)
    errors.push({ type: 'Required', field: 'spec.template.spec.containers' });
  return errors;
}

export function namespaceResource(store: ObjectStore<KubeObject>): Resource {
  return {
    ...base,
    statusSubresource: true,
    group: '',
    version: 'v1',
    plural: 'namespaces',
    singular: 'namespace',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    store,
    otherSubresources: ['finalize'],
    selectableFields: ['status.phase'],
    prepareCreate(o) {
      o.spec = { finalizers: ['kubernetes'], ...obj(o.spec) };
      o.status = { phase: 'Active' };
    },
    // The namespace strategy sets this label on every write (since 1.21).
    defaults(o) {
      o.metadata.labels = { ...o.metadata.labels, 'kubernetes.io/metadata.name': o.metadata.name };
    },
  };
}

export function serviceAccountResource(store: ObjectStore<KubeObject>): Resource {
  return {
    ...base,
    group: '',
    version: 'v1',
    plural: 'serviceaccounts',
    singular: 'serviceaccount',
    kind: 'ServiceAccount',
    namespaced: true,
    shortNames: ['sa'],
    store,
    otherSubresources: ['token'],
  };
}

export function configMapResource(store: ObjectStore<KubeObject>): Resource {
  return {
    ...base,
    group: '',
    version: 'v1',
    plural: 'configmaps',
    singular: 'configmap',
    kind: 'ConfigMap',
    namespaced: true,
    shortNames: ['cm'],
    store,
  };
}

export function secretResource(store: ObjectStore<KubeObject>): Resource {
  return {
    ...base,
    group: '',
    version: 'v1',
    plural: 'secrets',
    singular: 'secret',
    kind: 'Secret',
    namespaced: true,
    store,
    selectableFields: ['type'],
    // stringData is write-only: it lands in data, base64-encoded, and is never stored.
    defaults(o) {
      o.type ??= 'Opaque';
      if (isObject(o.stringData)) {
        const data = obj(o.data);
        for (const [k, v] of Object.entries(o.stringData))
          data[k] = Buffer.from(String(v)).toString('base64');
        o.data = data;
        delete o.stringData;
      }
    },
    validate(o) {
      const errors: FieldError[] = [];
      for (const [k, v] of Object.entries(obj(o.data))) {
        if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v))
          errors.push({
            type: 'Invalid',
            field: `data[${k}]`,
            value: '<secret contents redacted>',
            detail: 'illegal base64 data',
          });
      }
      if (o.type === 'kubernetes.io/dockerconfigjson' && !('.dockerconfigjson' in obj(o.data)))
        errors.push({ type: 'Required', field: 'data[.dockerconfigjson]' });
      return errors;
    },
  };
}

const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Services: a cluster IP allocated on create and kept, the v1 defaults, DNS-1035 names. */
export function serviceResource(store: ObjectStore<KubeObject>): Resource {
  let next = 1;
  return {
    ...base,
    statusSubresource: true,
    group: '',
    version: 'v1',
    plural: 'services',
    singular: 'service',
    kind: 'Service',
    namespaced: true,
    shortNames: ['svc'],
    store,
    otherSubresources: ['proxy'],
    prepareCreate(o) {
      const spec = obj(o.spec);
      if (spec.type !== 'ExternalName' && spec.clusterIP !== 'None' && !spec.clusterIP) {
        const ip = `10.96.${Math.floor(next / 250)}.${(next % 250) + 1}`;
        next++;
        spec.clusterIP = ip;
        spec.clusterIPs = [ip];
      }
      if (spec.clusterIP === 'None') spec.clusterIPs ??= ['None'];
      o.spec = spec;
      o.status = { loadBalancer: {} };
    },
    defaults(o, old) {
      const spec = obj(o.spec);
      const was = obj(old?.spec);
      // A write without the allocated IP keeps it (the registry copies it over).
      if (spec.clusterIP === undefined && was.clusterIP !== undefined) {
        spec.clusterIP = was.clusterIP;
        spec.clusterIPs = was.clusterIPs;
      }
      spec.type ??= 'ClusterIP';
      spec.sessionAffinity ??= 'None';
      if (spec.type !== 'ExternalName') {
        spec.ipFamilies ??= ['IPv4'];
        spec.ipFamilyPolicy ??= 'SingleStack';
        spec.internalTrafficPolicy ??= 'Cluster';
      }
      for (const p of (spec.ports as Json[] | undefined) ?? []) {
        p.protocol ??= 'TCP';
        p.targetPort ??= p.port;
      }
      o.spec = spec;
    },
    validate(o) {
      const name = o.metadata.name;
      return name.length > 63 || !DNS1035.test(name)
        ? [
            {
              type: 'Invalid',
              field: 'metadata.name',
              value: name,
              detail:
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
            },
          ]
        : [];
    },
  };
}

const RBAC = { group: 'rbac.authorization.k8s.io', version: 'v1' } as const;

/** A binding's roleRef is required and, once written, cannot change (rbac validation). */
function validateBinding(o: KubeObject, old: KubeObject | undefined): FieldError[] {
  const errors: FieldError[] = [];
  const ref = obj(o.roleRef);
  if (!ref.kind || !ref.name) errors.push({ type: 'Required', field: 'roleRef' });
  if (old && JSON.stringify(old.roleRef) !== JSON.stringify(o.roleRef))
    errors.push({ type: 'Invalid', field: 'roleRef', value: o.roleRef, detail: 'cannot change roleRef' });
  return errors;
}

function rbacResource(
  store: ObjectStore<KubeObject>,
  kind: 'Role' | 'ClusterRole' | 'RoleBinding' | 'ClusterRoleBinding',
): Resource {
  return {
    ...base,
    ...RBAC,
    plural: `${kind.toLowerCase()}s`,
    singular: kind.toLowerCase(),
    kind,
    namespaced: !kind.startsWith('Cluster'),
    store,
    ...(kind.endsWith('Binding') ? { validate: validateBinding } : {}),
  };
}

export const rbacResources = (stores: {
  roles: ObjectStore<KubeObject>;
  clusterRoles: ObjectStore<KubeObject>;
  roleBindings: ObjectStore<KubeObject>;
  clusterRoleBindings: ObjectStore<KubeObject>;
}): Resource[] => [
  rbacResource(stores.roles, 'Role'),
  rbacResource(stores.clusterRoles, 'ClusterRole'),
  rbacResource(stores.roleBindings, 'RoleBinding'),
  rbacResource(stores.clusterRoleBindings, 'ClusterRoleBinding'),
];

const APPS = { group: 'apps', version: 'v1', statusSubresource: true, generation: true } as const;

export function daemonSetResource(store: ObjectStore<KubeObject>): Resource {
  return {
    ...base,
    ...APPS,
    plural: 'daemonsets',
    singular: 'daemonset',
    kind: 'DaemonSet',
    namespaced: true,
    shortNames: ['ds'],
    store,
    prepareCreate(o) {
      o.status = {
        currentNumberScheduled: 0,
        numberMisscheduled: 0,
        desiredNumberScheduled: 0,
        numberReady: 0,
      };
    },
    defaults(o) {
      const spec = obj(o.spec);
      spec.revisionHistoryLimit ??= 10;
      const strategy = obj(spec.updateStrategy);
      strategy.type ??= 'RollingUpdate';
      if (strategy.type === 'RollingUpdate') {
        const rolling = obj(strategy.rollingUpdate);
        rolling.maxUnavailable ??= 1;
        rolling.maxSurge ??= 0;
        strategy.rollingUpdate = rolling;
      }
      spec.updateStrategy = strategy;
      defaultTemplate(spec);
      o.spec = spec;
    },
    validate: validateWorkload,
  };
}

export function deploymentResource(store: ObjectStore<KubeObject>): Resource {
  return {
    ...base,
    ...APPS,
    plural: 'deployments',
    singular: 'deployment',
    kind: 'Deployment',
    namespaced: true,
    shortNames: ['deploy'],
    store,
    otherSubresources: ['scale'],
    prepareCreate(o) {
      o.status = {};
    },
    defaults(o) {
      const spec = obj(o.spec);
      spec.replicas ??= 1;
      const strategy = obj(spec.strategy);
      strategy.type ??= 'RollingUpdate';
      if (strategy.type === 'RollingUpdate') {
        const rolling = obj(strategy.rollingUpdate);
        rolling.maxUnavailable ??= '25%';
        rolling.maxSurge ??= '25%';
        strategy.rollingUpdate = rolling;
      }
      spec.strategy = strategy;
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      defaultTemplate(spec);
      o.spec = spec;
    },
    validate: validateWorkload,
  };
}

export function podDisruptionBudgetResource(store: ObjectStore<KubeObject>, sync: () => void): Resource {
  return {
    ...base,
    group: 'policy',
    version: 'v1',
    statusSubresource: true,
    generation: true,
    plural: 'poddisruptionbudgets',
    singular: 'poddisruptionbudget',
    kind: 'PodDisruptionBudget',
    namespaced: true,
    shortNames: ['pdb'],
    store,
    sync,
    prepareCreate(o) {
      o.status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
    },
    validate(o) {
      const spec = obj(o.spec);
      return spec.minAvailable !== undefined && spec.maxUnavailable !== undefined
        ? [
            {
              type: 'Invalid',
              field: 'spec',
              value: spec,
              detail: 'minAvailable and maxUnavailable cannot be both set',
            },
          ]
        : [];
    },
  };
}
