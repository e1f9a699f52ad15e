import { describe, expect, it } from 'vitest';
import { governingRule, selectForPruning, type RetentionItem, type RetentionRule } from './retention.js';

const NOW = new Date('2026-12-06T00:00:00Z');
const DAY = 86_400_000;
const MiB = 1024 * 1024;

/** `ns/pod/container@daysAgo[:sizeMiB][!]` → an item; `!` pins it. Ids are the spec itself. */
function h(...specs: string[]): RetentionItem[] {
  return specs.map((spec) => {
    const m = /^([^/]+)\/([^/]+)\/([^@]+)@(\d+)(?::(\d+))?(!)?$/.exec(spec)!;
    return {
      id: spec,
      namespace: m[1]!,
      pod: m[2]!,
      container: m[3]!,
      time: new Date(NOW.getTime() - Number(m[4]) * DAY),
      size: Number(m[5] ?? 1) * MiB,
      pinned: m[6] === '!',
    };
  });
}

const rule = (r: Partial<RetentionRule>): RetentionRule => ({ per: 'container', ...r });

describe('retention', () => {
  it.each<[string, RetentionItem[], RetentionRule[], string[]]>([
    [
      'keep-last 2 per container',
      h('a/p/c@1', 'a/p/c@2', 'a/p/c@3', 'a/p/d@4'),
      [rule({ keepLast: 2 })],
      ['a/p/c@3'],
    ],
    [
      'keep-last 1 per pod counts both containers',
      h('a/p/c@1', 'a/p/d@2', 'a/q/c@3'),
      [rule({ keepLast: 1, per: 'pod' })],
      ['a/p/d@2'],
    ],
    [
      'keep-last 1 per namespace',
      h('a/p/c@1', 'a/q/c@2', 'b/p/c@3'),
      [rule({ keepLast: 1, per: 'namespace' })],
      ['a/q/c@2'],
    ],
    [
      'max-age 7d',
      h('a/p/c@1', 'a/p/c@7', 'a/p/c@8', 'a/p/c@30'),
      [rule({ maxAge: 7 * DAY })],
      ['a/p/c@30', 'a/p/c@8'],
    ],
    [
      'max-size 5 MiB keeps the newest that fit, then nothing older',
      h('a/p/c@1:2', 'a/p/c@2:2', 'a/p/c@3:2', 'a/p/c@4:1'),
      [rule({ maxSize: 5 * MiB })],
      ['a/p/c@4:1', 'a/p/c@3:2'],
    ],
    [
      'pinned backups are never removed and not counted',
      h('a/p/c@1', 'a/p/c@2!', 'a/p/c@3', 'a/p/c@40!'),
      [rule({ keepLast: 1, maxAge: 7 * DAY })],
      ['a/p/c@3'],
    ],
    [
      'the most specific rule wins: container over pod over namespace over default',
      h('a/p/c@1', 'a/p/c@2', 'a/p/c@3', 'a/p/d@1', 'a/p/d@2', 'a/q/e@1', 'a/q/e@2', 'b/r/f@1', 'b/r/f@2'),
      [
        rule({ keepLast: 1 }),
        rule({ namespace: 'a', keepLast: 2 }),
        rule({ namespace: 'a', pod: 'p', keepLast: 3 }),
        rule({ namespace: 'a', pod: 'p', container: 'd', keepLast: 1 }),
      ],
      ['a/p/d@2', 'b/r/f@2'],
    ],
    ['no rule matches: nothing goes', h('a/p/c@1', 'a/p/c@2'), [rule({ namespace: 'z', keepLast: 0 })], []],
    [
      'several limits: the first that applies is the reason',
      h('a/p/c@1', 'a/p/c@20', 'a/p/c@21'),
      [rule({ keepLast: 2, maxAge: 10 * DAY })],
      ['a/p/c@21', 'a/p/c@20'],
    ],
  ])('%s', (_name, items, rules, expected) => {
    expect(selectForPruning(items, rules, NOW).map((d) => d.item.id)).toEqual(expected);
  });

  it('says why each backup goes', () => {
    const decisions = selectForPruning(
      h('a/p/c@1', 'a/p/c@2', 'a/p/c@9', 'x/y/z@1:3', 'x/y/z@2:3'),
      [
        rule({ keepLast: 2, maxAge: 7 * DAY, namespace: 'a' }),
        rule({ maxSize: 4 * MiB, namespace: 'x', per: 'pod' }),
      ],
      NOW,
    );
    expect(decisions.map((d) => d.reason)).toEqual([
      'keep-last 2 (per container): container a/p/c has 2 newer',
      'max-size 4.00 MiB (per pod): pod x/y keeps 3.00 MiB in 1 newer',
    ]);
  });

  it('ties between equally specific rules go to the first given', () => {
    const [item] = h('a/p/c@1');
    const first = rule({ namespace: 'a', keepLast: 1 });
    expect(governingRule([first, rule({ namespace: 'a', keepLast: 5 })], item!)).toBe(first);
  });
});
