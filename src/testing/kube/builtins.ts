/**
 * The built-in resources the generic REST layer serves: pods (status subresource, the field
 * selectors the kubelet and agents use), nodes (projected from the FakeNodes tests configure, so a
 * label a test sets shows up, with a MODIFIED event, at the next read), coordination.k8s.io Leases
 * (the API server's own validation; updates without a resourceVersion are allowed, as for the
 * real type, and a stale one is a 409, which is what makes leader election safe) and CRDs.
 */
import type { FieldError } from './field-errors.js';
import type { ObjectStore } from './history.js';
import type { KubeObject } from './objects.js';
import type { Resource } from './resources.js';
import type { JsonSchema } from './schema.js';

const base = {
  statusSubresource: true,
  custom: false,
  generation: false,
  unconditionalUpdate: true,
} as const;

export function podResource(store: ObjectStore<KubeObject>): Resource {
  return {
    ...base,
    group: '',
    version: 'v1',
    plural: 'pods',
    singular: 'pod',
    kind: 'Pod',
    namespaced: true,
    shortNames: ['po'],
    store,
    otherSubresources: ['exec', 'eviction'],
    // The fields pods' field selectors accept (pkg/registry/core/pod: PodToSelectableFields).
    selectableFields: [
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.nominatedNodeName',
    ],
    deleteReturnsObject: true,
  };
}

export function nodeResource(
  store: ObjectStore<KubeObject>,
  sync: () => void,
  written: (o: KubeObject) => void,
): Resource {
  return {
    ...base,
    group: '',
    version: 'v1',
    plural: 'nodes',
    singular: 'node',
    kind: 'Node',
    namespaced: false,
    shortNames: ['no'],
    store,
    otherSubresources: ['proxy'],
    selectableFields: ['spec.unschedulable'],
    sync,
    written,
  };
}

const leaseSchema: JsonSchema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        holderIdentity: { type: 'string' },
        leaseDurationSeconds: { type: 'integer' },
        acquireTime: { type: 'string', format: 'date-time' },
        renewTime: { type: 'string', format: 'date-time' },
        leaseTransitions: { type: 'integer' },
        strategy: { type: 'string' },
        preferredHolder: { type: 'string' },
      },
    },
  },
};

/** pkg/apis/coordination/validation: the checks beyond the types. */
function validateLease(lease: KubeObject): FieldError[] {
  const spec = (lease.spec ?? {}) as { leaseDurationSeconds?: number; leaseTransitions?: number };
  const errors: FieldError[] = [];
  if (spec.leaseDurationSeconds !== undefined && spec.leaseDurationSeconds <= 0)
    errors.push({
      type: 'Invalid',
      field: 'spec.leaseDurationSeconds',
      value: spec.leaseDurationSeconds,
      detail: 'must be greater than 0',
    });
  if (spec.leaseTransitions !== undefined && spec.leaseTransitions < 0)
    errors.push({
      type: 'Invalid',
      field: 'spec.leaseTransitions',
      value: spec.leaseTransitions,
      detail: 'must be greater than or equal to 0',
    });
  return errors;
}

export function leaseResource(store: ObjectStore<KubeObject>): Resource {
  return {
    ...base,
    statusSubresource: false,
    group: 'coordination.k8s.io',
    version: 'v1',
    plural: 'leases',
    singular: 'lease',
    kind: 'Lease',
    namespaced: true,
    store,
    selectableFields: [],
    schema: leaseSchema,
    validate: validateLease,
  };
}
