/**
 * One informer as the agent and the controller use them: @kubernetes/client-node's ListWatch
 * (list, then watch from the list's resourceVersion; a 410 Gone relists) plus what it leaves to
 * its user: a restart with exponential backoff after an error (an API server restart ends the
 * watch with a connection error, and ListWatch stops there), a periodic resync that hands every
 * cached object to the handler again (so a missed event or a failed handler is retried), and a
 * `synced` flag for /readyz.
 */
import { ListWatch, Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';

export interface InformerOptions<T> {
  kc: KubeConfig;
  /** The collection's path, e.g. `/apis/kcr.dev/v1alpha1/checkpoints` (all namespaces). */
  path: string;
  /** Lists the collection (with the same selectors), for the first sync and every relist. */
  list(): Promise<{ items: KubernetesObject[]; metadata?: { resourceVersion?: string } }>;
  /** Checks an object as the API server sent it (zod); one that does not parse is reported and skipped. */
  parse(raw: unknown): T;
  labelSelector?: string;
  fieldSelector?: string;
  /** Called for each added or changed object, and for every object at each resync. */
  onObject(obj: T): void;
  onDelete?(obj: T): void;
  resyncMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  /** Errors after which the informer restarts (for logs and kcr_errors_total). */
  onError?(err: unknown): void;
}

export class Informer<T> {
  private readonly lw: ListWatch<KubernetesObject>;
  private stopped = false;
  private delayMs: number;
  private retry: NodeJS.Timeout | undefined;
  private resync: NodeJS.Timeout | undefined;
  /** True once a list has succeeded; false again while restarting after an error. */
  synced = false;
  /** How often the informer restarted after an error. */
  restarts = 0;

  constructor(private readonly o: InformerOptions<T>) {
    this.delayMs = o.backoff?.initialMs ?? 500;
    this.lw = new ListWatch(o.path, new Watch(o.kc), o.list, false, o.labelSelector, o.fieldSelector);
    const each = (f: (obj: T) => void) => (raw: KubernetesObject) => {
      const obj = this.parsed(raw);
      if (obj !== undefined) f(obj);
    };
    this.lw.on(
      'add',
      each((obj) => o.onObject(obj)),
    );
    this.lw.on(
      'update',
      each((obj) => o.onObject(obj)),
    );
    if (o.onDelete)
      this.lw.on(
        'delete',
        each((obj) => o.onDelete!(obj)),
      );
    this.lw.on('connect', () => {
      // A (re)connected watch after a good list: the backoff starts over.
      if (this.synced) this.delayMs = o.backoff?.initialMs ?? 500;
    });
    this.lw.on('error', (err) => this.restart(err));
  }

  private parsed(raw: KubernetesObject | undefined): T | undefined {
    if (raw === undefined) return undefined;
    try {
      return this.o.parse(raw);
    } catch (err) {
      this.o.onError?.(err);
      return undefined;
    }
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.lw.start();
    this.markSynced();
    if (this.o.resyncMs) {
      this.resync = setInterval(() => {
        for (const obj of this.list()) this.o.onObject(obj);
      }, this.o.resyncMs);
      this.resync.unref();
    }
  }

  private markSynced(): void {
    // ListWatch has listed when its resourceVersion is set; an error before that leaves it empty.
    if (this.lw.latestResourceVersion()) this.synced = true;
  }

  private restart(err: unknown): void {
    if (this.stopped) return;
    this.o.onError?.(err);
    this.synced = false;
    this.restarts++;
    clearTimeout(this.retry);
    const delay = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, this.o.backoff?.maxMs ?? 30_000);
    this.retry = setTimeout(() => {
      if (this.stopped) return;
      void this.lw.start().then(() => this.markSynced());
    }, delay);
    this.retry.unref();
  }

  /** The cached objects. */
  list(): T[] {
    return this.lw.list().flatMap((raw) => {
      const obj = this.parsed(raw);
      return obj === undefined ? [] : [obj];
    });
  }

  get(name: string, namespace?: string): T | undefined {
    return this.parsed(this.lw.get(name, namespace));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    clearInterval(this.resync);
    await this.lw.stop();
  }
}
