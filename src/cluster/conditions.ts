/**
 * Conditions as `kubectl describe` shows them, with the text kcr would print: a failure's message
 * is kcr's `error:` line and its `hint:` (Velero's lesson: errors users must see go where they look).
 */
import { KcrError } from '../errors.js';
import type { Condition } from './resources.js';

/** A KcrError code as a condition reason: `remote` → `RemoteError`, `not-found` → `NotFound`. */
export function reasonFor(err: unknown): string {
  if (!(err instanceof KcrError)) return 'InternalError';
  const camel = err.code.replace(/(^|-)([a-z])/g, (_m, _d: string, c: string) => c.toUpperCase());
  return camel.endsWith('Error') || camel === 'NotFound' || camel === 'Timeout' || camel === 'Cancelled'
    ? camel
    : `${camel}Error`;
}

/** What kcr prints for an error: the message, then `hint: …` on the next line when there is one. */
export function errorText(err: unknown): string {
  if (err instanceof KcrError) return err.hint ? `${err.message}\nhint: ${err.hint}` : err.message;
  return err instanceof Error ? `internal error: ${err.message}` : String(err);
}

/** `conditions` with `next` set: its transition time kept when the status did not change. */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: Omit<Condition, 'lastTransitionTime'>,
  now: Date,
): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const previous = i >= 0 ? list[i] : undefined;
  const lastTransitionTime =
    previous && previous.status === next.status ? previous.lastTransitionTime : now.toISOString();
  const condition: Condition = { ...next, lastTransitionTime };
  if (i >= 0) list[i] = condition;
  else list.push(condition);
  return list;
}
