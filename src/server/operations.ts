/**
 * Long operations started from the dashboard (restore), each a resource: its OpEvents are kept,
 * so a page that subscribes late (or reloads) replays them before the live ones, and it can be
 * cancelled through its AbortController. Finished operations are kept for a while for the page
 * to read their outcome, then forgotten.
 */
import { randomBytes } from 'node:crypto';
import { KcrError } from '../errors.js';
import { opError, type OpError, type OpEvent } from '../ops/events.js';
import type { OperationResultBody } from './api-types.js';

export type OperationMessage =
  | { kind: 'event'; event: OpEvent }
  | { kind: 'done'; result: OperationResultBody }
  | { kind: 'error'; error: OpError };

/** How many finished operations are remembered. */
const KEEP_FINISHED = 20;

export class Operation {
  readonly messages: OperationMessage[] = [];
  private readonly listeners = new Set<(m: OperationMessage) => void>();
  readonly controller = new AbortController();
  finished = false;

  constructor(readonly id: string) {}

  push(message: OperationMessage): void {
    if (this.finished) return;
    if (message.kind !== 'event') this.finished = true;
    this.messages.push(message);
    for (const listener of this.listeners) listener(message);
  }

  /** Replays what happened so far, then follows; returns the unsubscribe function. */
  subscribe(listener: (m: OperationMessage) => void): () => void {
    for (const m of this.messages) listener(m);
    if (this.finished) return () => undefined;
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export class Operations {
  private readonly all = new Map<string, Operation>();

  start(
    run: (signal: AbortSignal, onEvent: (event: OpEvent) => void) => Promise<OperationResultBody>,
  ): Operation {
    const op = new Operation(randomBytes(8).toString('hex'));
    this.all.set(op.id, op);
    this.forgetOld();
    run(op.controller.signal, (event) => op.push({ kind: 'event', event })).then(
      (result) => op.push({ kind: 'done', result }),
      (err: unknown) => op.push({ kind: 'error', error: opError(err) }),
    );
    return op;
  }

  get(id: string): Operation {
    const op = this.all.get(id);
    if (!op) {
      throw new KcrError('not-found', `no operation ${id}`, {
        hint: 'operations are kept while kcr ui runs; start it again',
      });
    }
    return op;
  }

  cancelAll(): void {
    for (const op of this.all.values()) if (!op.finished) op.controller.abort();
  }

  private forgetOld(): void {
    const finished = [...this.all.values()].filter((o) => o.finished);
    for (const op of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.all.delete(op.id);
  }
}
