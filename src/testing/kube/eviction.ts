/**
 * The Eviction API (`POST /api/v1/namespaces/NS/pods/NAME/eviction`, a policy/v1 Eviction) with
 * the disruption budget check the API server makes: a Pod covered by a PodDisruptionBudget that
 * allows no more disruptions is refused with 429 TooManyRequests and the budget's cause, as
 * pkg/registry/core/pod/storage/eviction.go words it; otherwise the Pod is deleted (201 and a
 * Success Status). The budgets' status is what the disruption controller would write, computed
 * from the Pods at each read: healthy = Running and Ready Pods the selector matches.
 */
import { matchesSelector, parseSelector } from '../../kube/selector.js';
import type { Handled, RouteContext } from './api-routes.js';
import type { ObjectStore } from './history.js';
import { notFound, statusBody, type KubeObject, type PodJson } from './objects.js';

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

interface BudgetSpec {
  selector?: LabelSelector;
  minAvailable?: number | string;
  maxUnavailable?: number | string;
}

/** A label selector object as a selector string (matchExpressions In/NotIn/Exists/DoesNotExist). */
export function selectorText(s: LabelSelector | undefined): string {
  const parts = Object.entries(s?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of s?.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

function covers(budget: KubeObject, pod: PodJson): boolean {
  const spec = (budget.spec ?? {}) as BudgetSpec;
  // A budget with an empty selector selects every Pod of its namespace (policy/v1).
  return (
    budget.metadata.namespace === pod.metadata.namespace &&
    matchesSelector(pod.metadata.labels, parseSelector(selectorText(spec.selector)))
  );
}

const healthy = (pod: PodJson) =>
  pod.status.phase === 'Running' &&
  ((pod.status.conditions as { type: string; status: string }[] | undefined) ?? []).some(
    (c) => c.type === 'Ready' && c.status === 'True',
  );

/** An int or a percentage of `of`, rounded up as intstr.GetScaledValueFromIntOrPercent does. */
function scaled(value: number | string, of: number): number {
  if (typeof value === 'number') return value;
  const pct = Number(value.replace(/%$/, ''));
  return Math.ceil((pct * of) / 100);
}

/** The status the disruption controller keeps for a budget, from the Pods as they are now. */
export function budgetStatus(budget: KubeObject, pods: Iterable<PodJson>): Record<string, unknown> {
  const spec = (budget.spec ?? {}) as BudgetSpec;
  const covered = [...pods].filter((p) => covers(budget, p));
  const expectedPods = covered.length;
  const currentHealthy = covered.filter(healthy).length;
  const desiredHealthy =
    spec.minAvailable !== undefined
      ? scaled(spec.minAvailable, expectedPods)
      : Math.max(0, expectedPods - scaled(spec.maxUnavailable ?? 0, expectedPods));
  return {
    observedGeneration: budget.metadata.generation ?? 1,
    disruptionsAllowed: Math.max(0, currentHealthy - desiredHealthy),
    currentHealthy,
    desiredHealthy,
    expectedPods,
  };
}

/** Brings every budget's status up to date (a read of budgets, or an eviction, sees it current). */
export function syncBudgets(budgets: ObjectStore<KubeObject>, pods: ObjectStore<PodJson>): void {
  for (const [key, budget] of budgets.entries()) {
    const status = budgetStatus(budget, pods.values());
    if (JSON.stringify(status) !== JSON.stringify(budget.status)) budgets.set(key, { ...budget, status });
  }
}

export function evict(
  ctx: RouteContext,
  namespace: string,
  name: string,
  budgets: ObjectStore<KubeObject>,
): Handled {
  const { state } = ctx;
  const key = `${namespace}/${name}`;
  const pod = state.pods.get(key);
  if (!pod) return { status: 404, body: notFound('pods', name) };
  const body = (ctx.body ?? {}) as { kind?: string; metadata?: { name?: string } };
  if (body.kind !== undefined && body.kind !== 'Eviction')
    return {
      status: 400,
      body: statusBody(400, `no kind "${body.kind}" is registered for version "policy/v1"`),
    };
  if (body.metadata?.name !== undefined && body.metadata.name !== name)
    return {
      status: 400,
      body: statusBody(400, 'name in URL does not match name in Eviction object', { name, kind: 'Eviction' }),
    };
  // Pods that are done, or not yet running, do not count against a budget.
  const running = pod.status.phase === 'Running';
  syncBudgets(budgets, state.pods);
  const blocking = running ? [...budgets.values()].filter((b) => covers(b, pod)) : [];
  if (blocking.length > 1)
    return {
      status: 500,
      body: statusBody(
        500,
        'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      ),
    };
  const budget = blocking[0];
  const status = (budget?.status ?? {}) as {
    disruptionsAllowed?: number;
    desiredHealthy?: number;
    currentHealthy?: number;
  };
  if (budget && (status.disruptionsAllowed ?? 0) < 1) {
    return {
      status: 429,
      body: statusBody(
        429,
        "Cannot evict pod as it would violate the pod's disruption budget.",
        {
          causes: [
            {
              reason: 'DisruptionBudget',
              message: `The disruption budget ${budget.metadata.name} needs ${status.desiredHealthy ?? 0} healthy pods and has ${status.currentHealthy ?? 0} currently`,
            },
          ],
        },
        'TooManyRequests',
      ),
    };
  }
  if (ctx.url.searchParams.get('dryRun') !== 'All') {
    state.pods.delete(key);
    state.deletedPods.push(key);
    syncBudgets(budgets, state.pods);
  }
  return {
    status: 201,
    body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 },
  };
}
