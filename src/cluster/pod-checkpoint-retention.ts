/**
 * Retention of KEP-5823 PodCheckpoints, the gap the KEP leaves ("retention, GC and off-node
 * storage are left to others"): which PodCheckpoints a policy removes, decided by the backup
 * model's own `selectForPruning` (keep-last, max-age, max-size; per pod or namespace; the most
 * specific rule wins), so that the controller, `kcr prune --pod-checkpoints` and its `--dry-run`
 * decide alike.
 *
 * What retention never touches, and why:
 * - a PodCheckpoint annotated `kcr.dev/pinned=true` (the user's word, as a pinned backup's);
 * - one a restore still needs: a Pod with `spec.restoreFrom` naming it that does not run yet (its
 *   kubelet reads the data on the node while it starts the Pod), or a kcr Restore of it not finished;
 * - one the kubelet is still taking (Pending, CheckpointInProgress);
 * - one already being deleted (its node agent is removing the data).
 *
 * A failed one (CheckpointFailed, SourcePodReplaced) holds no usable data: it is not counted as a
 * kept checkpoint, and goes once a newer checkpoint of its Pod completed or once it is older than
 * the rule's max-age. A PodCheckpoint is one item per Pod (its containers go together), so a rule
 * naming a container does not govern it, and `per: container` counts as `per: pod`.
 */
import {
  describeAge as age,
  governingRule,
  selectForPruning,
  type RetentionItem,
  type RetentionRule,
} from '../backup/index.js';
import { podCheckpointState, type PodCheckpoint } from '../kube/index.js';
import { NODE_DATA_BYTES_ANNOTATION, PINNED_ANNOTATION, type Restore } from './resources.js';

/** The part of a Pod retention reads (raw JSON: client-node 1.4 drops spec.restoreFrom). */
export interface PodView {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: { restoreFrom?: unknown; nodeName?: string };
  status?: { phase?: string };
}

export type PruneLimit = 'keep-last' | 'max-age' | 'max-size' | 'failed';

export interface PodCheckpointDecision {
  podCheckpoint: PodCheckpoint;
  /** The limit and how this PodCheckpoint exceeds it, as `kcr prune` words it. */
  reason: string;
  limit: PruneLimit;
}

/** The limit a reason names (a failed checkpoint's reason names its Ready reason first). */
export function limitOf(reason: string): PruneLimit {
  const limit = /^(keep-last|max-age|max-size) /.exec(reason)?.[1] as PruneLimit | undefined;
  return limit ?? 'failed';
}

export const keyOf = (pc: PodCheckpoint): string => `${pc.metadata.namespace ?? ''}/${pc.metadata.name}`;

/** `namespace/name` of each PodCheckpoint a restore still reads. */
export function podCheckpointsInUse(pods: readonly PodView[], restores: readonly Restore[]): Set<string> {
  const inUse = new Set<string>();
  for (const p of pods) {
    const from = p.spec?.restoreFrom;
    // Running or finished: the kubelet has restored the containers and no longer reads the data.
    const phase = p.status?.phase;
    if (typeof from === 'string' && phase !== 'Running' && phase !== 'Succeeded' && phase !== 'Failed')
      inUse.add(`${p.metadata?.namespace ?? ''}/${from}`);
  }
  for (const r of restores) {
    const from = r.spec.source.podCheckpoint;
    const phase = r.status?.phase;
    if (from && phase !== 'Succeeded' && phase !== 'Failed')
      inUse.add(`${r.metadata.namespace ?? 'default'}/${from}`);
  }
  return inUse;
}

/** Why retention leaves `pc` alone, or undefined when a rule may remove it. */
export function exemption(pc: PodCheckpoint, inUse: ReadonlySet<string>): string | undefined {
  if (pc.metadata.deletionTimestamp) return 'being deleted';
  if (pc.metadata.annotations?.[PINNED_ANNOTATION] === 'true') return `pinned (${PINNED_ANNOTATION}=true)`;
  if (inUse.has(keyOf(pc))) return 'a restore reads it';
  const { reason } = podCheckpointState(pc);
  if (reason === 'Pending' || reason === 'CheckpointInProgress') return `not finished (${reason})`;
  return undefined;
}

function takenAt(pc: PodCheckpoint): Date {
  return new Date(pc.status?.completionTime ?? pc.metadata.creationTimestamp ?? 0);
}

function item(pc: PodCheckpoint): RetentionItem {
  const bytes = Number(pc.metadata.annotations?.[NODE_DATA_BYTES_ANNOTATION]);
  return {
    id: keyOf(pc),
    ...(pc.metadata.namespace !== undefined ? { namespace: pc.metadata.namespace } : {}),
    pod: pc.spec.sourcePod.name,
    // One item per Pod: no container name, so no container-scoped rule matches it.
    container: '',
    time: takenAt(pc),
    // Unmeasured (no agent has seen it yet) counts as nothing rather than guessed.
    size: Number.isFinite(bytes) && bytes >= 0 ? bytes : 0,
    pinned: false,
  };
}

/** The PodCheckpoints `rules` remove at `now`, oldest first, each with its reason. */
export function selectPodCheckpoints(
  podCheckpoints: readonly PodCheckpoint[],
  rules: readonly RetentionRule[],
  o: { inUse?: ReadonlySet<string>; now?: Date } = {},
): PodCheckpointDecision[] {
  const now = o.now ?? new Date();
  const inUse = o.inUse ?? new Set<string>();
  const asPod = rules.map((r) => (r.per === 'container' ? { ...r, per: 'pod' as const } : r));
  const byKey = new Map(podCheckpoints.map((pc) => [keyOf(pc), pc]));
  const completed: RetentionItem[] = [];
  const failed: PodCheckpoint[] = [];
  for (const pc of podCheckpoints) {
    if (exemption(pc, inUse) !== undefined) continue;
    if (podCheckpointState(pc).ready) completed.push(item(pc));
    else failed.push(pc);
  }
  const out: PodCheckpointDecision[] = selectForPruning(completed, asPod, now).map((d) => ({
    podCheckpoint: byKey.get(d.item.id)!,
    reason: d.reason,
    limit: limitOf(d.reason),
  }));
  // Newer completed checkpoints of each Pod, pinned and in-use ones too: any of them supersedes a failure.
  const ready = podCheckpoints.filter((pc) => podCheckpointState(pc).ready && !pc.metadata.deletionTimestamp);
  for (const pc of failed) {
    const it = item(pc);
    const rule = governingRule(asPod, it);
    if (!rule) continue;
    const { reason: state } = podCheckpointState(pc);
    const newer = ready
      .filter(
        (r) =>
          r.metadata.namespace === pc.metadata.namespace &&
          r.spec.sourcePod.name === pc.spec.sourcePod.name &&
          takenAt(r).getTime() > it.time.getTime(),
      )
      .sort((a, b) => takenAt(b).getTime() - takenAt(a).getTime())[0];
    const old = now.getTime() - it.time.getTime();
    if (newer) {
      out.push({
        podCheckpoint: pc,
        reason: `${state}: superseded by podcheckpoint ${newer.metadata.name}, completed later`,
        limit: 'failed',
      });
    } else if (rule.maxAge !== undefined && old > rule.maxAge) {
      out.push({
        podCheckpoint: pc,
        reason: `${state}: older than max-age ${age(rule.maxAge)} (${age(old)} ago)`,
        limit: 'failed',
      });
    }
  }
  return out.sort(
    (a, b) =>
      takenAt(a.podCheckpoint).getTime() - takenAt(b.podCheckpoint).getTime() ||
      (keyOf(a.podCheckpoint) < keyOf(b.podCheckpoint) ? -1 : 1),
  );
}
