/**
 * `kubectl exec` over the API server's WebSocket endpoint, as a streaming client: the channel
 * protocol (`v5.channel.k8s.io`, falling back to `v4.channel.k8s.io`) prefixes every frame with a
 * channel byte: 1 stdout, 2 stderr, 3 the final Status, 255 "stream closed" (v5 only). Written on
 * `ws` rather than client-node's Exec because copying GiB archives needs backpressure (pause the
 * socket while the file catches up) and a clean abort; the credentials are still the kubeconfig's.
 */
import type { IncomingMessage } from 'node:http';
import type { Writable } from 'node:stream';
import WebSocket from 'ws';
import { KcrError } from '../errors.js';
import { tryParseJsonWith } from '../util/validate.js';
import { apiError, httpText, networkError, parseStatus, type KubeStatus } from './api-errors.js';
import { statusSchema } from './documents.js';
import type { KubeClient } from './client.js';

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const CLOSE = 255;
const MAX_STDERR = 64 * 1024;

export interface ExecOptions {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  /** Receives stdout; when it is full the socket is paused until it drains. */
  stdout?: Writable;
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number;
  /** Collected stdout when no stream was given (small outputs like sha256sum). */
  stdout: string;
  stderr: string;
  /** The subprotocol the server chose. */
  protocol: string;
}

/** The exit code from a v4/v5 Status frame: Success is 0, NonZeroExitCode carries it in causes. */
function exitCodeOf(status: KubeStatus, what: string): number {
  if (status.status === 'Success') return 0;
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = Number(cause?.message);
    return Number.isInteger(code) ? code : 1;
  }
  throw new KcrError('remote', `${what}: ${status.message ?? 'exec failed'}`);
}

/** The error channel carries a metav1.Status without kind/apiVersion (e.g. `{"metadata":{},"status":"Success"}`). */
function parseExecStatus(text: string): KubeStatus {
  const value = tryParseJsonWith(statusSchema, text);
  // v1-v3 servers wrote a plain error message on this channel.
  return value ? { ...value, kind: 'Status' } : { kind: 'Status', status: 'Failure', message: text };
}

function describeCommand(opts: ExecOptions): string {
  return `exec in ${opts.namespace}/${opts.pod} (${opts.command.join(' ')})`;
}

/** The API server refused the upgrade (403 RBAC, 404 pod, 400 container not running): say why. */
function refusal(res: IncomingMessage, what: string): Promise<KcrError> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const code = res.statusCode ?? 0;
      const message = parseStatus(body)?.message ?? (body.trim() || httpText(code));
      const kind = code === 401 || code === 403 ? 'auth' : code === 404 ? 'not-found' : 'remote';
      const hint = code === 403 ? 'needs RBAC `create` on `pods/exec` in that namespace' : undefined;
      resolve(new KcrError(kind, `${what}: ${message}`, { hint }));
    });
  });
}

/** Demultiplexes the channels of one exec stream. */
class ExecStream {
  private readonly stdoutChunks: Buffer[] = [];
  stderr = '';
  status: KubeStatus | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly stdout: Writable | undefined,
  ) {}

  onFrame(data: Buffer): void {
    if (data.length === 0) return;
    const payload = data.subarray(1);
    switch (data[0]) {
      case STDOUT:
        if (!this.stdout) this.stdoutChunks.push(Buffer.from(payload));
        else if (!this.stdout.write(payload)) {
          // Stop reading the socket until the file catches up: TCP then slows the sender down.
          this.ws.pause();
          this.stdout.once('drain', () => this.ws.resume());
        }
        break;
      case STDERR:
        if (this.stderr.length < MAX_STDERR) this.stderr += payload.toString('utf8');
        break;
      case ERROR:
        this.status = parseExecStatus(payload.toString('utf8'));
        break;
      case CLOSE:
        // v5 announces the end of one stream; the socket close that follows ends the command.
        break;
    }
  }

  result(what: string): ExecResult {
    if (!this.status) {
      throw new KcrError('remote', `${what}: the connection closed before the command finished`, {
        hint: 'the helper pod may have been deleted or the API server restarted; retry',
      });
    }
    return {
      exitCode: exitCodeOf(this.status, what),
      stdout: Buffer.concat(this.stdoutChunks).toString('utf8'),
      stderr: this.stderr,
      protocol: this.ws.protocol,
    };
  }
}

/** Runs one command in a container and resolves when the server closes the stream. */
export async function execInPod(client: KubeClient, opts: ExecOptions): Promise<ExecResult> {
  const what = describeCommand(opts);
  const url = client.url(
    `/api/v1/namespaces/${encodeURIComponent(opts.namespace)}/pods/${encodeURIComponent(opts.pod)}/exec`,
    { command: opts.command, container: opts.container, stdout: 'true', stderr: 'true' },
  );
  url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
  let options;
  try {
    options = await client.requestOptions();
  } catch (err) {
    throw apiError(err, what, client.server); // e.g. a failing exec credential plugin
  }
  if (opts.signal?.aborted) throw new KcrError('cancelled', `${what}: cancelled`);

  return new Promise<ExecResult>((resolve, reject) => {
    const ws = new WebSocket(url, [...EXEC_PROTOCOLS], {
      ...options,
      headers: options.headers as Record<string, string>,
    });
    const stream = new ExecStream(ws, opts.stdout);
    let settled = false;
    const finish = (err: unknown, result?: ExecResult) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(result!);
    };
    const onAbort = () => {
      ws.terminate();
      finish(new KcrError('cancelled', `${what}: cancelled`));
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    // A sink that fails (disk full) ends the command with its error instead of a paused socket.
    opts.stdout?.once('error', (err) => {
      ws.terminate();
      finish(err);
    });
    ws.on('unexpected-response', (_req, res) => void refusal(res, what).then(finish));
    ws.on('message', (data: Buffer, isBinary: boolean) => isBinary && stream.onFrame(data));
    ws.on('error', (err) => finish(networkError(err, client.server) ?? err));
    ws.on('close', () => {
      try {
        finish(undefined, stream.result(what));
      } catch (err) {
        finish(err);
      }
    });
  });
}
