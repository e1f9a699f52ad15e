/**
 * Retention: which backups a policy removes, as a pure function over a history, so that `kcr prune`,
 * `kcr prune --node-dir` and the controller all decide alike, and `--dry-run` shows exactly what
 * the real run does.
 *
 * The model follows the checkpoint-restore-operator's (count, size and age limits, at container,
 * pod and namespace level) and extends it: each rule selects backups by namespace, pod and
 * container, and the most specific matching rule governs a backup (container over pod over
 * namespace over the default). A rule counts per container, per pod or per namespace. Pinned
 * backups are outside every rule: never removed, and not counted.
 */
import { z } from 'zod';
import { formatBytes } from '../util/units.js';

export interface RetentionItem {
  id: string;
  namespace?: string;
  pod?: string;
  container: string;
  /** When the backup was taken. */
  time: Date;
  size: number;
  pinned: boolean;
}

export const retentionRuleSchema = z
  .object({
    /** Which backups the rule governs; omitted fields match anything. */
    namespace: z.string().optional(),
    pod: z.string().optional(),
    container: z.string().optional(),
    /** What one count, age and size budget covers. */
    per: z.enum(['container', 'pod', 'namespace']).default('container'),
    keepLast: z.number().int().nonnegative().optional(),
    /** Milliseconds. */
    maxAge: z.number().nonnegative().optional(),
    /** Bytes. */
    maxSize: z.number().nonnegative().optional(),
  })
  .strict();
export type RetentionRule = z.infer<typeof retentionRuleSchema>;

export interface PruneDecision {
  item: RetentionItem;
  /** Why it goes: the rule's limit and how this backup exceeds it. */
  reason: string;
}

function specificity(rule: RetentionRule): number {
  return (
    (rule.namespace !== undefined ? 1 : 0) +
    (rule.pod !== undefined ? 2 : 0) +
    (rule.container !== undefined ? 4 : 0)
  );
}

function matches(rule: RetentionRule, item: RetentionItem): boolean {
  return (
    (rule.namespace === undefined || rule.namespace === item.namespace) &&
    (rule.pod === undefined || rule.pod === item.pod) &&
    (rule.container === undefined || rule.container === item.container)
  );
}

/** The rule that governs `item`: the most specific match (the first of equals, in the order given). */
export function governingRule(
  rules: readonly RetentionRule[],
  item: RetentionItem,
): RetentionRule | undefined {
  let best: RetentionRule | undefined;
  for (const rule of rules) {
    if (matches(rule, item) && (best === undefined || specificity(rule) > specificity(best))) best = rule;
  }
  return best;
}

function groupName(rule: RetentionRule, item: RetentionItem): string {
  const ns = item.namespace ?? '(none)';
  if (rule.per === 'namespace') return `namespace ${ns}`;
  if (rule.per === 'pod') return `pod ${ns}/${item.pod ?? '(none)'}`;
  return `container ${ns}/${item.pod ?? '(none)'}/${item.container}`;
}

/** A duration as retention reasons word it: `7d`, `12h`, `90s` (the largest whole unit). */
export function describeAge(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) if (ms >= size) return `${Math.floor(ms / size)}${unit}`;
  return `${ms}ms`;
}

/** The backups `rules` remove from `items` at time `now`, oldest first, each with its reason. */
export function selectForPruning(
  items: readonly RetentionItem[],
  rules: readonly RetentionRule[],
  now: Date = new Date(),
): PruneDecision[] {
  const groups = new Map<string, { rule: RetentionRule; name: string; items: RetentionItem[] }>();
  for (const item of items) {
    if (item.pinned) continue;
    const rule = governingRule(rules, item);
    if (!rule) continue;
    // The rule itself is part of the key: two rules never share a budget.
    const name = groupName(rule, item);
    const key = `${rules.indexOf(rule)}\u0000${name}`;
    const group = groups.get(key) ?? { rule, name, items: [] };
    group.items.push(item);
    groups.set(key, group);
  }
  const out: PruneDecision[] = [];
  for (const { rule, name, items: members } of groups.values()) {
    const newestFirst = [...members].sort(
      (a, b) => b.time.getTime() - a.time.getTime() || (a.id < b.id ? 1 : -1),
    );
    let kept = 0;
    let keptSize = 0;
    // Once the size budget is spent, everything older goes too (no older, smaller backup slips in).
    let budgetSpent = false;
    newestFirst.forEach((item, index) => {
      const age = now.getTime() - item.time.getTime();
      let reason: string | undefined;
      if (rule.keepLast !== undefined && index >= rule.keepLast) {
        reason = `keep-last ${rule.keepLast} (per ${rule.per}): ${name} has ${index} newer`;
      } else if (rule.maxAge !== undefined && age > rule.maxAge) {
        reason = `max-age ${describeAge(rule.maxAge)}: taken ${describeAge(age)} ago`;
      } else if (rule.maxSize !== undefined && (budgetSpent || keptSize + item.size > rule.maxSize)) {
        budgetSpent = true;
        reason = `max-size ${formatBytes(rule.maxSize)} (per ${rule.per}): ${name} keeps ${formatBytes(keptSize)} in ${kept} newer`;
      }
      if (reason) out.push({ item, reason });
      else {
        kept++;
        keptSize += item.size;
      }
    });
  }
  return out.sort(
    (a, b) => a.item.time.getTime() - b.item.time.getTime() || (a.item.id < b.item.id ? -1 : 1),
  );
}
