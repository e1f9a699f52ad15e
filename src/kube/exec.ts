/**
 * `kubectl exec` over the API server's WebSocket endpoint, as a streaming client: the channel
 * protocol (`v5.channel.k8s.io`, falling back to `v4.channel.k8s.io`) prefixes every frame with a
 * channel byte: 1 stdout, 2 stderr, 3 the final Status, 255 "stream closed" (v5 only). Written on
 * `ws` rather than client-node's Exec because copying GiB archives needs backpressure (pause the
 * socket while the file catches up) and a clean abort; the credentials are still the kubeconfig's.
 */
import type { Writable } from 'node:stream';
import WebSocket from 'ws';
import { KcrError } from '../errors.js';
import { httpText, networkError, parseStatus, type KubeStatus } from './api-errors.js';
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
  try {
    const value = JSON.parse(text) as Omit<KubeStatus, 'kind'>;
    return { ...value, kind: 'Status' };
  } catch {
    // v1-v3 servers wrote a plain error message on this channel.
    return { kind: 'Status', status: 'Failure', message: text };
  }
}

function describeCommand(opts: ExecOptions): string {
  return `exec in ${opts.namespace}/${opts.pod} (${opts.command.join(' ')})`;
}

/** Runs one command in a container and resolves when the server closes the stream. */
export async function execInPod(client: KubeClient, opts: ExecOptions): Promise<ExecResult> {
  const what = describeCommand(opts);
  const url = client.url(
    `/api/v1/namespaces/${encodeURIComponent(opts.namespace)}/pods/${encodeURIComponent(opts.pod)}/exec`,
    { command: opts.command, container: opts.container, stdout: 'true', stderr: 'true' },
  );
  url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
  const options = await client.requestOptions();
  if (opts.signal?.aborted) throw new KcrError('cancelled', `${what}: cancelled`);

  return new Promise<ExecResult>((resolve, reject) => {
    const ws = new WebSocket(url, [...EXEC_PROTOCOLS], { ...options, headers: options.headers as Record<string, string> });
    const stdoutChunks: Buffer[] = [];
    let stderr = '';
    let status: KubeStatus | undefined;
    let settled = false;
    const finish = (err?: unknown, result?: ExecResult) => {
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

    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const st = parseStatus(body);
        const code = res.statusCode ?? 0;
        const message = st?.message ?? (body.trim() || httpText(code));
        finish(
          new KcrError(code === 401 || code === 403 ? 'auth' : code === 404 ? 'not-found' : 'remote', `${what}: ${message}`, {
            hint: code === 403 ? 'needs RBAC `create` on `pods/exec` in that namespace' : undefined,
          }),
        );
      });
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary || data.length === 0) return;
      const channel = data[0];
      const payload = data.subarray(1);
      if (channel === STDOUT) {
        if (!opts.stdout) stdoutChunks.push(Buffer.from(payload));
        else if (!opts.stdout.write(payload)) {
          // Stop reading the socket until the file catches up: TCP then slows the sender down.
          ws.pause();
          opts.stdout.once('drain', () => ws.resume());
        }
      } else if (channel === STDERR) {
        if (stderr.length < MAX_STDERR) stderr += payload.toString('utf8');
      } else if (channel === ERROR) {
        status = parseExecStatus(payload.toString('utf8'));
      } else if (channel === CLOSE) {
        // v5 announces the end of one stream; the socket close that follows ends the command.
      }
    });
    ws.on('error', (err) => finish(networkError(err, client.server) ?? err));
    ws.on('close', () => {
      if (!status) {
        finish(new KcrError('remote', `${what}: the connection closed before the command finished`, {
          hint: 'the helper pod may have been deleted or the API server restarted; retry',
        }));
        return;
      }
      try {
        const exitCode = exitCodeOf(status, what);
        finish(undefined, { exitCode, stdout: Buffer.concat(stdoutChunks).toString('utf8'), stderr, protocol: ws.protocol });
      } catch (err) {
        finish(err);
      }
    });
  });
}
