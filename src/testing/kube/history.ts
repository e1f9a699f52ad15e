/**
 * The test cluster's change history, standing for etcd's revisions and the API server's watch
 * cache: every write is an event with the object as it was after (and before) the write. Watches
 * replay it from a resourceVersion; a version older than what is retained is "too old" (410), as
 * after an etcd compaction. Stores of every resource record into one history, so
 * resourceVersions are ordered across resources as they are in a real cluster.
 */
import { currentResourceVersion, nextResourceVersion, type KubeObject } from './objects.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ChangeEvent {
  type: EventType;
  rv: number;
  /** `GROUP/PLURAL` (`/pods` for the core group): versions of one resource share the events. */
  resource: string;
  key: string;
  /** The object after the write (for DELETED: the last state, with the deletion's version). */
  object: KubeObject;
  /** The object before the write (undefined for ADDED). */
  prev: KubeObject | undefined;
}

export type Listener = (event: ChangeEvent) => void;

const snapshot = <T>(o: T): T => structuredClone(o);

export class History {
  private events: ChangeEvent[] = [];
  private readonly listeners = new Set<Listener>();
  /** Versions up to this one are gone: a watch from an older version gets 410 Expired. */
  compactedAt = Number(currentResourceVersion());
  /** How many events are kept (the watch cache's capacity); older ones are compacted away. */
  capacity = 5000;

  record(type: EventType, resource: string, key: string, object: KubeObject, prev?: KubeObject): void {
    const event: ChangeEvent = {
      type,
      rv: Number(object.metadata.resourceVersion),
      resource,
      key,
      object: snapshot(object),
      prev,
    };
    this.events.push(event);
    if (this.events.length > this.capacity) {
      const dropped = this.events.splice(0, this.events.length - this.capacity);
      this.compactedAt = dropped.at(-1)!.rv;
    }
    for (const listener of [...this.listeners]) listener(event);
  }

  /** Forget every event so far, as `etcdctl compact` does: watches from before now get 410. */
  compact(): void {
    this.events = [];
    this.compactedAt = Number(currentResourceVersion());
  }

  /** Whether a watch or list may start from `rv` ("0" and "" always may). */
  expired(rv: string): boolean {
    return rv !== '' && rv !== '0' && Number(rv) < this.compactedAt;
  }

  /** The events of `resource` after `rv`, oldest first. */
  since(resource: string, rv: number): ChangeEvent[] {
    return this.events.filter((e) => e.resource === resource && e.rv > rv);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The objects of `resource` as they were at `rv`: today's, with the later events undone. */
  stateAt(resource: string, current: Map<string, KubeObject>, rv: number): KubeObject[] {
    const state = new Map(current);
    for (const e of this.since(resource, rv).reverse()) {
      if (e.prev) state.set(e.key, e.prev);
      else state.delete(e.key);
    }
    return [...state.values()];
  }
}

/**
 * One resource's objects, by `namespace/name` (or `name`): a Map, so tests read and write it
 * directly, whose writes take a new resourceVersion and are recorded for watches. An object a
 * test changes in place is seen by GETs at once; `set` it again to tell the watchers.
 */
export class ObjectStore<T extends KubeObject> extends Map<string, T> {
  /** The last recorded state of each object: what a watcher saw, for its "before". */
  private readonly seen = new Map<string, KubeObject>();

  constructor(
    readonly resource: string,
    private readonly history: History,
  ) {
    super();
  }

  override set(key: string, object: T): this {
    const prev = this.seen.get(key);
    object.metadata.resourceVersion = nextResourceVersion();
    super.set(key, object);
    const copy = snapshot(object);
    this.seen.set(key, copy);
    this.history.record(prev ? 'MODIFIED' : 'ADDED', this.resource, key, copy, prev);
    return this;
  }

  override delete(key: string): boolean {
    const object = super.get(key);
    if (!object) return false;
    super.delete(key);
    const prev = this.seen.get(key);
    this.seen.delete(key);
    const last = snapshot(object);
    last.metadata.resourceVersion = nextResourceVersion();
    this.history.record('DELETED', this.resource, key, last, prev);
    return true;
  }

  override clear(): void {
    for (const key of [...this.keys()]) this.delete(key);
  }
}
