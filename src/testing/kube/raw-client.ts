/**
 * Plain HTTPS requests to the test API server with a kubeconfig's identity, for tests that check
 * exact status codes, bodies and watch streams (what client-node's typed calls hide), and a watch
 * reader that yields the events line by line as they arrive.
 */
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';
import { KubeConfig } from '@kubernetes/client-node';

export interface RawResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface WatchEventJson {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: {
    kind?: string;
    apiVersion?: string;
    metadata?: {
      name?: string;
      namespace?: string;
      resourceVersion?: string;
      annotations?: Record<string, string>;
    };
    [key: string]: unknown;
  };
}

export class RawClient {
  private constructor(
    private readonly server: string,
    private readonly options: https.RequestOptions,
  ) {}

  static async fromKubeconfig(file: string): Promise<RawClient> {
    const kc = new KubeConfig();
    kc.loadFromFile(file);
    const options: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(options);
    return new RawClient(kc.getCurrentCluster()!.server, options);
  }

  private open(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = https.request(new URL(path, this.server), {
        ...this.options,
        method,
        headers: { ...(this.options.headers ?? {}), Accept: 'application/json', 'Content-Type': contentType },
      });
      req.on('response', resolve);
      req.on('error', reject);
      req.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
    });
  }

  async request(method: string, path: string, body?: unknown, contentType?: string): Promise<RawResponse> {
    const res = await this.open(method, path, body, contentType);
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.statusCode ?? 0, headers: res.headers, body: parsed };
  }

  /** A watch: its HTTP status, then its events as they come, until the server ends it or `close()`. */
  async watch(path: string): Promise<RawWatch> {
    return new RawWatch(await this.open('GET', path));
  }
}

export class RawWatch {
  private readonly queue: WatchEventJson[] = [];
  private waiter: (() => void) | undefined;
  private done = false;
  readonly status: number;

  constructor(private readonly res: IncomingMessage) {
    this.status = res.statusCode ?? 0;
    const lines = createInterface({ input: res });
    lines.on('line', (line) => {
      if (line.trim()) this.queue.push(JSON.parse(line) as WatchEventJson);
      this.waiter?.();
    });
    const finish = () => {
      this.done = true;
      this.waiter?.();
    };
    lines.on('close', finish);
    res.on('error', finish);
  }

  /** The next `n` events (rejects if the stream ends first). */
  async next(n = 1): Promise<WatchEventJson[]> {
    while (this.queue.length < n) {
      if (this.done) throw new Error(`the watch ended with ${this.queue.length} of ${n} events`);
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    return this.queue.splice(0, n);
  }

  /** Resolves once the server has ended the stream; the events left unread. */
  async ended(): Promise<WatchEventJson[]> {
    while (!this.done) await new Promise<void>((resolve) => (this.waiter = resolve));
    return this.queue.splice(0);
  }

  close(): void {
    this.res.destroy();
  }
}
