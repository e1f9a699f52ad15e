/**
 * One small HTTPS request helper for the calls the generated client cannot make: node-proxy
 * paths with query strings, and direct kubelet calls. Bodies are buffered, up to a limit per
 * call (4 MiB unless the caller says otherwise: a kubelet's /pods on a full node is far larger);
 * an answer past it is an error naming the limit, never a silently cut body.
 */
import http from 'node:http';
import https from 'node:https';
import { KcrError } from '../errors.js';
import { formatBytes } from '../util/units.js';

export interface HttpResponse {
  status: number;
  contentType: string;
  body: string;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: URL;
  /** TLS, agent and auth headers, as the kubeconfig or the kubelet flags give them. */
  options: https.RequestOptions;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Largest answer accepted (default 4 MiB). */
  maxBodyBytes?: number;
  /** A JSON request body. */
  json?: unknown;
  /** The body's media type when JSON is sent as another (a server-side apply's `application/apply-patch+yaml`). */
  contentType?: string;
}

export const DEFAULT_MAX_BODY = 4 * 1024 * 1024;

export function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  const transport = req.url.protocol === 'http:' ? http : https;
  return new Promise<HttpResponse>((resolve, reject) => {
    if (req.signal?.aborted) {
      reject(new KcrError('cancelled', `${req.method} ${req.url.pathname}: cancelled`));
      return;
    }
    const headers = {
      ...(req.options.headers ?? {}),
      Accept: 'application/json, */*',
      ...(req.json === undefined ? {} : { 'Content-Type': req.contentType ?? 'application/json' }),
    };
    const request = transport.request(
      req.url,
      { ...req.options, method: req.method, headers, signal: req.signal },
      (res) => {
        const chunks: Buffer[] = [];
        const limit = req.maxBodyBytes ?? DEFAULT_MAX_BODY;
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= limit) return void chunks.push(chunk);
          const where = `${req.url.origin}${req.url.pathname}`;
          reject(
            new KcrError(
              'remote',
              `${req.method} ${where}: the answer is larger than ${formatBytes(limit)}, kcr's limit for it`,
            ),
          );
          request.destroy();
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    // A local deadline, because a proxied checkpoint can hang far longer than any user waits.
    request.setTimeout(req.timeoutMs, () => {
      request.destroy(Object.assign(new Error('request timed out'), { code: 'KCR_TIMEOUT' }));
    });
    request.on('error', (err) => {
      if (req.signal?.aborted)
        reject(new KcrError('cancelled', `${req.method} ${req.url.pathname}: cancelled`));
      else reject(err);
    });
    request.end(req.json === undefined ? undefined : JSON.stringify(req.json));
  });
}

export function isLocalTimeout(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'KCR_TIMEOUT';
}
