import { describe, expect, it } from 'vitest';
import type { Checkpoint, CheckpointSchedule } from './resources.js';
import {
  checkpointName,
  compactTime,
  dueCronRun,
  runId,
  tallyRun,
  withRun,
  KEPT_RUNS,
} from './schedule-runs.js';

function schedule(
  cron: string,
  extra: Partial<CheckpointSchedule['spec']> = {},
  status?: CheckpointSchedule['status'],
): CheckpointSchedule {
  return {
    apiVersion: 'kcr.dev/v1alpha1',
    kind: 'CheckpointSchedule',
    metadata: { name: 'nightly', namespace: 'shop', creationTimestamp: '2026-12-05T20:00:00Z' },
    spec: {
      selector: {},
      triggers: { cron: { schedule: cron, ...(extra.triggers?.cron ?? {}) } },
      store: 'file:///b',
      ...extra,
    },
    ...(status ? { status } : {}),
  };
}

describe('dueCronRun', () => {
  it('is due at the cron time in the schedule’s time zone, not before', () => {
    // 02:00 in Berlin is 01:00 UTC in December.
    const s = schedule('0 2 * * *', {
      triggers: { cron: { schedule: '0 2 * * *', timeZone: 'Europe/Berlin' } },
    });
    expect(dueCronRun(s, new Date('2026-12-06T00:59:59Z'))).toBeUndefined();
    expect(dueCronRun(s, new Date('2026-12-06T01:00:00Z'))).toEqual({
      scheduledTime: new Date('2026-12-06T01:00:00Z'),
      skipped: 0,
      tooLate: false,
    });
  });

  it('runs a slot once: after the status records it, the next is due at the next slot', () => {
    const s = schedule('*/10 * * * * *', {}, { lastScheduleTime: '2026-12-06T01:00:10.000Z' });
    expect(dueCronRun(s, new Date('2026-12-06T01:00:19Z'))).toBeUndefined();
    expect(dueCronRun(s, new Date('2026-12-06T01:00:20Z'))?.scheduledTime).toEqual(
      new Date('2026-12-06T01:00:20Z'),
    );
  });

  it('catches up only the latest slot missed while no controller ran, and says how many it skipped', () => {
    const s = schedule('0 * * * *', {}, { lastScheduleTime: '2026-12-06T01:00:00Z' });
    expect(dueCronRun(s, new Date('2026-12-06T04:30:00Z'))).toEqual({
      scheduledTime: new Date('2026-12-06T04:00:00Z'),
      skipped: 2,
      tooLate: false,
    });
  });

  it('marks a slot past startingDeadlineSeconds too late, and a suspended schedule never due', () => {
    const late = schedule(
      '0 * * * *',
      { startingDeadlineSeconds: 600 },
      { lastScheduleTime: '2026-12-06T01:00:00Z' },
    );
    expect(dueCronRun(late, new Date('2026-12-06T02:11:00Z'))?.tooLate).toBe(true);
    expect(dueCronRun(late, new Date('2026-12-06T02:09:00Z'))?.tooLate).toBe(false);
    const suspended = schedule('* * * * * *', { suspend: true });
    expect(dueCronRun(suspended, new Date('2026-12-07T00:00:00Z'))).toBeUndefined();
  });

  it('refuses a cron expression that does not parse, with a hint', () => {
    expect(() => dueCronRun(schedule('every night'), new Date())).toThrow(/cron "every night"/);
  });
});

describe('run ids and Checkpoint names', () => {
  it('derive from the run and the Pod, so creating them twice finds the first', () => {
    const t = new Date('2026-12-06T02:00:00Z');
    expect(compactTime(t)).toBe('20261206t020000z');
    expect(runId('cron', t)).toBe('cron-20261206t020000z');
    expect(runId('drain', t, 'node-3')).toBe('drain-20261206t020000z-node-3');
    const a = checkpointName('nightly', 'cron-20261206t020000z', 'uid-1');
    expect(a).toMatch(/^nightly-[0-9a-f]{10}$/);
    expect(checkpointName('nightly', 'cron-20261206t020000z', 'uid-1')).toBe(a);
    expect(checkpointName('nightly', 'cron-20261206t020000z', 'uid-2')).not.toBe(a);
    expect(checkpointName('nightly', 'cron-20261206t020010z', 'uid-1')).not.toBe(a);
    expect(checkpointName('x'.repeat(300), 'r', 'u').length).toBeLessThanOrEqual(253);
  });
});

describe('tallyRun', () => {
  const cp = (phase?: 'Succeeded' | 'Failed' | 'Storing'): Checkpoint => ({
    apiVersion: 'kcr.dev/v1alpha1',
    kind: 'Checkpoint',
    metadata: { name: 'c' },
    spec: { pod: 'p' },
    ...(phase ? { status: { phase } } : {}),
  });
  it.each([
    [['Succeeded', 'Succeeded'], 2, 'Succeeded', true],
    [['Succeeded', 'Failed'], 2, 'PartiallyFailed', true],
    [['Failed'], 1, 'Failed', true],
    [['Succeeded', 'Storing'], 2, 'Running', false],
    [['Succeeded'], 2, 'Running', false],
  ] as const)('%j of %i: %s', (phases, expected, phase, done) => {
    expect(
      tallyRun(
        phases.map((p) => cp(p)),
        expected,
      ),
    ).toMatchObject({ phase, done });
  });

  it('keeps the newest runs in the status', () => {
    let runs = withRun(undefined, { id: 'r0', trigger: 'cron', scheduledTime: 't', phase: 'Creating' });
    runs = withRun(runs, { id: 'r0', trigger: 'cron', scheduledTime: 't', phase: 'Running' });
    expect(runs).toEqual([{ id: 'r0', trigger: 'cron', scheduledTime: 't', phase: 'Running' }]);
    for (let i = 1; i <= KEPT_RUNS; i++)
      runs = withRun(runs, { id: `r${i}`, trigger: 'cron', scheduledTime: 't', phase: 'Running' });
    expect(runs.length).toBe(KEPT_RUNS);
    expect(runs[0]!.id).toBe('r1');
  });
});
