/**
 * The schedule's arithmetic, as pure functions: which cron run is due (croner, with the time
 * zone), what a run's id and its Checkpoints' names are, and what the Checkpoints of a run add up
 * to. Names are derived, never random, so creating a run's Checkpoints twice (a controller that
 * restarted in the middle, a second replica) finds them there instead of doubling them.
 */
import { createHash } from 'node:crypto';
import { Cron } from 'croner';
import { KcrError } from '../errors.js';
import type { Checkpoint, CheckpointSchedule, RunPhase, ScheduleRun } from './resources.js';

/** How many runs a schedule's status keeps (the newest). */
export const KEPT_RUNS = 20;

/** `20261206t020000z`: a time in a form that fits names and labels. */
export function compactTime(t: Date): string {
  return t
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '')
    .toLowerCase();
}

export function cronOf(schedule: CheckpointSchedule): Cron | undefined {
  const cron = schedule.spec.triggers.cron;
  if (!cron) return undefined;
  try {
    return new Cron(cron.schedule, { timezone: cron.timeZone ?? 'UTC', paused: true });
  } catch (err) {
    throw new KcrError(
      'invalid-input',
      `schedule ${schedule.metadata.name}: cron "${cron.schedule}": ${(err as Error).message}`,
      {
        hint: 'five fields (minute hour day month weekday) or six (seconds first), e.g. "0 2 * * *"',
      },
    );
  }
}

export interface DueRun {
  scheduledTime: Date;
  /** Earlier runs that fell due while no controller ran; only the latest is run. */
  skipped: number;
  /** Past the schedule's startingDeadlineSeconds: recorded as Missed, not run. */
  tooLate: boolean;
}

/** The cron run due at `now`, if any: the latest time after the last scheduled one, not after now. */
export function dueCronRun(schedule: CheckpointSchedule, now: Date): DueRun | undefined {
  const cron = cronOf(schedule);
  if (!cron || schedule.spec.suspend) return undefined;
  const since = new Date(
    schedule.status?.lastScheduleTime ?? schedule.metadata.creationTimestamp ?? now.toISOString(),
  );
  let next = cron.nextRun(since);
  if (!next || next > now) return undefined;
  let skipped = 0;
  // Bounded: a controller down for a year on a per-second schedule does not loop forever.
  for (let i = 0; i < 10_000; i++) {
    const after = cron.nextRun(next);
    if (!after || after > now) break;
    next = after;
    skipped++;
  }
  const deadline = schedule.spec.startingDeadlineSeconds;
  return {
    scheduledTime: next,
    skipped,
    tooLate: deadline !== undefined && now.getTime() - next.getTime() > deadline * 1000,
  };
}

export function nextCronTime(schedule: CheckpointSchedule, after: Date): Date | undefined {
  return cronOf(schedule)?.nextRun(after) ?? undefined;
}

export function runId(trigger: ScheduleRun['trigger'], time: Date, detail?: string): string {
  return [trigger, compactTime(time), ...(detail ? [detail] : [])].join('-');
}

/** The Checkpoint of `pod` in `run`: `<schedule>-<8 hex of run and pod>`, at most 253 characters. */
export function checkpointName(schedule: string, run: string, podUid: string): string {
  const hash = createHash('sha256').update(`${run}\u0000${podUid}`).digest('hex').slice(0, 10);
  return `${schedule.slice(0, 240)}-${hash}`;
}

export interface RunTally {
  total: number;
  succeeded: number;
  failed: number;
  done: boolean;
  phase: RunPhase;
}

/** What a run's Checkpoints add up to; `expected` is how many the run created. */
export function tallyRun(checkpoints: readonly Checkpoint[], expected: number): RunTally {
  const succeeded = checkpoints.filter((c) => c.status?.phase === 'Succeeded').length;
  const failed = checkpoints.filter((c) => c.status?.phase === 'Failed').length;
  const done = succeeded + failed >= expected;
  const phase: RunPhase = !done
    ? 'Running'
    : failed === 0
      ? 'Succeeded'
      : succeeded === 0
        ? 'Failed'
        : 'PartiallyFailed';
  return { total: expected, succeeded, failed, done, phase };
}

/** `runs` with `run` put in its place (by id) or appended, the newest KEPT_RUNS kept. */
export function withRun(runs: readonly ScheduleRun[] | undefined, run: ScheduleRun): ScheduleRun[] {
  const list = [...(runs ?? [])];
  const i = list.findIndex((r) => r.id === run.id);
  if (i >= 0) list[i] = run;
  else list.push(run);
  return list.slice(-KEPT_RUNS);
}
