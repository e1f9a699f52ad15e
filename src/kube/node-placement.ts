/**
 * A restored pod is pinned with `nodeName`, which bypasses the scheduler but not the kubelet: the
 * kubelet still admits a pod only if its nodeSelector and required node affinity match the node's
 * labels (else the pod fails with `Predicate NodeAffinity failed`). A saved pod that is restored on
 * another node must therefore lose the constraints that pinned it to the old node, and a constraint
 * the new node does not meet for another reason (a GPU, a disk type) should stop the restore before
 * anything is pushed.
 */
import type {
  V1Affinity,
  V1NodeSelectorRequirement,
  V1NodeSelectorTerm,
  V1PodSpec,
} from '@kubernetes/client-node';
import { KcrError } from '../errors.js';

export interface TargetNode {
  name: string;
  /** The node's labels; undefined when they are not known (a dry run without a cluster). */
  labels?: Record<string, string>;
}

export interface Placement {
  nodeSelector?: Record<string, string>;
  affinity?: V1Affinity;
  warnings: string[];
}

/** Labels and fields that name one node: a constraint on them pinned the pod to its old node. */
const HOSTNAME_LABEL = 'kubernetes.io/hostname';
const NAME_FIELD = 'metadata.name';

interface Unmet {
  text: string;
  /** True when the requirement names a node (hostname, metadata.name) rather than a property of it. */
  pin: boolean;
}

function describeRequirement(r: V1NodeSelectorRequirement): string {
  const values = r.values ?? [];
  if (r.operator === 'Exists' || r.operator === 'DoesNotExist') return `${r.key} ${r.operator}`;
  if (r.operator === 'In' && values.length === 1) return `${r.key}=${values[0]}`;
  return `${r.key} ${r.operator} (${values.join(',')})`;
}

function meets(r: V1NodeSelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = labels[r.key];
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return has && values.includes(value!);
    case 'NotIn':
      return !has || !values.includes(value!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
      return has && /^-?\d+$/.test(value!) && Number(value) > Number(values[0]);
    case 'Lt':
      return has && /^-?\d+$/.test(value!) && Number(value) < Number(values[0]);
    default:
      return false;
  }
}

function unmetInTerm(term: V1NodeSelectorTerm, node: TargetNode, labels: Record<string, string>): Unmet[] {
  const expressions = (term.matchExpressions ?? [])
    .filter((r) => !meets(r, labels))
    .map((r) => ({ text: describeRequirement(r), pin: r.key === HOSTNAME_LABEL }));
  const fields = (term.matchFields ?? [])
    .filter((r) => !meets(r, { [NAME_FIELD]: node.name }))
    .map((r) => ({ text: describeRequirement(r), pin: r.key === NAME_FIELD }));
  return [...expressions, ...fields];
}

function unmetSelector(spec: V1PodSpec, labels: Record<string, string>): Unmet[] {
  return Object.entries(spec.nodeSelector ?? {})
    .filter(([k, v]) => labels[k] !== v)
    .map(([k, v]) => ({ text: `${k}=${v}`, pin: k === HOSTNAME_LABEL }));
}

/** Required node affinity terms are ORed: none unmet if one term holds, else those of the closest term. */
function unmetAffinity(spec: V1PodSpec, node: TargetNode, labels: Record<string, string>): Unmet[] {
  const terms =
    spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  if (terms.length === 0) return [];
  const perTerm = terms.map((t) => unmetInTerm(t, node, labels));
  if (perTerm.some((u) => u.length === 0)) return [];
  const blocking = (u: Unmet[]) => u.filter((x) => !x.pin).length;
  return [...perTerm].sort((a, b) => blocking(a) - blocking(b))[0]!;
}

function withoutNodeAffinity(affinity: V1Affinity | undefined): V1Affinity | undefined {
  if (!affinity) return undefined;
  const { nodeAffinity: _dropped, ...rest } = affinity;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

function placement(
  nodeSelector: Record<string, string> | undefined,
  affinity: V1Affinity | undefined,
  warnings: string[] = [],
): Placement {
  return {
    ...(nodeSelector && Object.keys(nodeSelector).length > 0 ? { nodeSelector } : {}),
    ...(affinity ? { affinity } : {}),
    warnings,
  };
}

/**
 * The nodeSelector and affinity a saved pod keeps when restored on `target`. On its own node
 * nothing changes. On another node, constraints that pinned the pod to the old node (its hostname
 * or name) are dropped with a warning; a constraint the new node does not meet otherwise is an
 * error, so that the caller can fail before any work is done.
 */
export function placementOn(
  spec: V1PodSpec | undefined,
  from: string | undefined,
  target: TargetNode,
): Placement {
  const selector = spec?.nodeSelector;
  const affinity = spec?.affinity;
  const constrained = Object.keys(selector ?? {}).length > 0 || affinity?.nodeAffinity !== undefined;
  if (!spec || from === target.name || !constrained) return placement(selector, affinity);
  const old = from ?? 'its old node';
  if (!target.labels) {
    // Nothing to check against (a dry run): the pin to the old node must go all the same.
    const what = [
      ...Object.entries(selector ?? {}).map(([k, v]) => `${k}=${v}`),
      ...(affinity?.nodeAffinity ? ['nodeAffinity'] : []),
    ].join(', ');
    return placement(undefined, withoutNodeAffinity(affinity), [
      `the saved pod's node constraints (${what}) were written for ${old}; they are dropped for ${target.name}, whose labels were not checked`,
    ]);
  }
  const labels = target.labels;
  const unmet = [...unmetSelector(spec, labels), ...unmetAffinity(spec, target, labels)];
  const blocking = unmet.filter((u) => !u.pin);
  if (blocking.length > 0) {
    const first = blocking[0]!.text;
    const list = first.includes(' ') ? '' : ` (\`kubectl get nodes -l ${first}\`)`;
    throw new KcrError(
      'conflict',
      `node ${target.name} does not match the saved pod's node constraints: ${blocking.map((u) => u.text).join(', ')}`,
      {
        hint: `pick a --node that does${list}, label ${target.name}, or remove the constraint from the saved .pod.json`,
      },
    );
  }
  if (unmet.length === 0) return placement(selector, affinity); // everything still holds on the new node
  const kept = Object.fromEntries(Object.entries(selector ?? {}).filter(([k, v]) => labels[k] === v));
  const affinityHolds = unmetAffinity(spec, target, labels).length === 0;
  return placement(kept, affinityHolds ? affinity : withoutNodeAffinity(affinity), [
    `the saved pod was pinned to ${old} (${unmet.map((u) => u.text).join(', ')}); that pin is dropped for ${target.name}`,
  ]);
}
