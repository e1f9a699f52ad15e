/**
 * A watch as the API server streams it: HTTP 200 with one JSON event per line
 * (`{"type":"ADDED","object":{...}}`), starting after the requested resourceVersion (or with the
 * current objects as ADDED when there is none), BOOKMARK events when the client allows them, an
 * ERROR event carrying the 410 `Expired` Status for a version older than the history keeps, and
 * `timeoutSeconds` ending the stream. Objects moving in or out of the selectors arrive as ADDED
 * or DELETED, as the watch cache sends them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChangeEvent, History } from './history.js';
import { currentResourceVersion, statusBody, type KubeObject } from './objects.js';
import { apiVersionOf, matches, type Filter, type Resource } from './resources.js';

export interface WatchOptions {
  resourceVersion: string;
  allowBookmarks: boolean;
  sendInitialEvents: boolean;
  timeoutSeconds?: number;
  bookmarkIntervalMs: number;
}

type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** What one change looks like to a watcher with this filter, if it sees it at all. */
function seenAs(e: ChangeEvent, filter: Filter): { type: WatchType; object: KubeObject } | undefined {
  const now = e.type !== 'DELETED' && matches(e.object, filter);
  const before = e.prev !== undefined && matches(e.prev, filter);
  if (e.type === 'DELETED')
    return matches(e.prev ?? e.object, filter) ? { type: 'DELETED', object: e.object } : undefined;
  if (now && before) return { type: 'MODIFIED', object: e.object };
  if (now) return { type: 'ADDED', object: e.object };
  if (before) return { type: 'DELETED', object: e.object };
  return undefined;
}

export class WatchStream {
  private readonly timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | undefined;
  private ended = false;
  private allowBookmarks = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly resource: Resource,
    private readonly history: History,
    private readonly filter: Filter,
    private readonly onEnd: (w: WatchStream) => void,
  ) {}

  private send(type: WatchType, object: unknown): void {
    if (this.ended) return;
    const o = object as KubeObject;
    const shown =
      type === 'ERROR' ? o : { ...o, apiVersion: apiVersionOf(this.resource), kind: this.resource.kind };
    this.res.write(`${JSON.stringify({ type, object: shown })}\n`);
  }

  private bookmark(annotations?: Record<string, string>): void {
    this.send('BOOKMARK', {
      kind: this.resource.kind,
      apiVersion: apiVersionOf(this.resource),
      metadata: { resourceVersion: currentResourceVersion(), ...(annotations ? { annotations } : {}) },
    });
  }

  start(req: IncomingMessage, current: () => KubeObject[], o: WatchOptions): void {
    this.res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    this.res.flushHeaders();
    req.socket.setNoDelay(true);
    this.res.on('close', () => this.end());
    this.allowBookmarks = o.allowBookmarks;
    if (this.history.expired(o.resourceVersion) && !o.sendInitialEvents) {
      this.send(
        'ERROR',
        statusBody(410, `too old resource version: ${o.resourceVersion} (${this.history.compactedAt})`),
      );
      return this.end();
    }
    // Everything from here to the subscription is synchronous: no write can slip in between.
    const fromScratch = o.resourceVersion === '' || o.resourceVersion === '0' || o.sendInitialEvents;
    if (fromScratch) {
      for (const object of current().filter((x) => matches(x, this.filter))) this.send('ADDED', object);
      if (o.sendInitialEvents) this.bookmark({ 'k8s.io/initial-events-end': 'true' });
    } else {
      for (const e of this.history.since(this.resource.store.resource, Number(o.resourceVersion)))
        this.deliver(e);
    }
    this.unsubscribe = this.history.subscribe((e) => {
      if (e.resource === this.resource.store.resource) this.deliver(e);
    });
    if (o.allowBookmarks) this.timers.push(setInterval(() => this.bookmark(), o.bookmarkIntervalMs).unref());
    if (o.timeoutSeconds !== undefined)
      this.timers.push(setTimeout(() => this.end(), o.timeoutSeconds * 1000).unref());
  }

  private deliver(e: ChangeEvent): void {
    const seen = seenAs(e, this.filter);
    if (seen) this.send(seen.type, seen.object);
  }

  /** Ends the stream cleanly, as the API server does at a watch's timeout. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const t of this.timers) clearInterval(t);
    this.unsubscribe?.();
    this.res.end();
    this.onEnd(this);
  }

  /** Sends a BOOKMARK now, if the client allowed them. */
  bookmarkNow(): void {
    if (this.allowBookmarks) this.bookmark();
  }
}
