/**
 * The HTTP layer under the registry client: undici with one connection pool per trust setting,
 * and the translation of socket and TLS failures into errors that name the host and say what to do.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { KcrError, fileError } from '../errors.js';
import { formatBytes } from '../util/units.js';
import {
  errorCodes,
  hasErrorCode,
  isConnectionDropped,
  isConnectionRefused,
  isDnsFailure,
  isTimeout,
  isTlsCertificateRejected,
  isTlsUntrusted,
} from '../util/net-errors.js';

export type Headers = Record<string, string>;
export type RequestBody = Buffer | string | Readable;

export interface HttpResponse {
  /** Where the request went (after redirects the caller followed: the last hop). */
  url: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

export interface TlsSettings {
  caFile?: string;
  /** Skip certificate verification (only ever for the one registry the user named). */
  insecure?: boolean;
}

/** An undici Agent trusting the system roots plus `caFile`; `insecure` disables verification. */
export function createAgent(tls: TlsSettings): Agent {
  let ca: string[] | undefined;
  if (tls.caFile) {
    let pem: string;
    try {
      pem = readFileSync(tls.caFile, 'utf8');
    } catch (err) {
      throw fileError(tls.caFile, err);
    }
    // Node ignores a CA that is not PEM, and the registry's certificate would then look untrusted.
    if (!hasPemCertificate(pem)) {
      throw new KcrError('invalid-input', `${tls.caFile}: no PEM certificate in it`, {
        hint: '--ca-file takes the CA certificate in PEM form (-----BEGIN CERTIFICATE-----)',
      });
    }
    // Node's `ca` replaces the default trust store, so the system roots are passed along.
    ca = [...rootCertificates, pem];
  }
  return new Agent({
    connect: { ...(ca ? { ca } : {}), rejectUnauthorized: !tls.insecure },
    // Large uploads: the registry may take a while to answer after the last byte (it verifies the digest).
    headersTimeout: 10 * 60_000,
    bodyTimeout: 5 * 60_000,
    keepAliveTimeout: 10_000,
  });
}

function hasPemCertificate(pem: string): boolean {
  const first = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  if (!first) return false;
  try {
    new X509Certificate(first[0]);
    return true;
  } catch {
    return false;
  }
}

function detail(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** True when the failure means "this is not TLS here", so an --insecure registry may be tried over plain HTTP. */
export function isTlsProtocolError(err: unknown): boolean {
  return (
    hasErrorCode(err, (code) => code.startsWith('ERR_SSL_') || code === 'EPROTO' || code === 'ECONNRESET') ||
    /wrong version number|packet length too long/i.test(detail(err))
  );
}

/** True for failures a retry on a new connection may cure (a reset, a cut, a stalled answer). */
export function isTransientError(err: unknown): boolean {
  return hasErrorCode(
    err,
    (code) => isConnectionDropped(code) || (isTimeout(code) && code !== 'UND_ERR_CONNECT_TIMEOUT'),
  );
}

/** A failed exchange with `host` as an error for the user: what happened, and what to do about it. */
export function transportError(host: string, err: unknown, signal?: AbortSignal): KcrError {
  if (err instanceof KcrError) return err;
  if (signal?.aborted) return new KcrError('cancelled', 'cancelled', { cause: err });
  // A request body streamed from a file fails the request with the file's error: that is about the file.
  const path = (err as { path?: unknown } | null)?.path;
  if (typeof path === 'string' && (err as { syscall?: unknown }).syscall) return fileError(path, err);
  const codes = errorCodes(err);
  const has = (test: (code: string) => boolean) => codes.some(test);
  if (has(isDnsFailure)) {
    return new KcrError('network', `${host}: unknown host`, {
      hint: 'check the registry name in the image reference',
      cause: err,
    });
  }
  if (has(isConnectionRefused)) {
    return new KcrError('network', `${host}: connection refused`, {
      hint: 'is the registry running, and is the port right?',
      cause: err,
    });
  }
  if (has(isTlsUntrusted)) {
    return new KcrError('network', `${host}: TLS certificate not trusted (${detail(err).toLowerCase()})`, {
      hint: `pass the registry's CA certificate with --ca-file, or --insecure to skip verification for ${host} only`,
      cause: err,
    });
  }
  if (has(isTlsCertificateRejected)) {
    return new KcrError('network', `${host}: TLS certificate rejected (${detail(err).toLowerCase()})`, {
      hint: `the certificate does not fit ${host}; use the name it was issued for, or --insecure`,
      cause: err,
    });
  }
  if (has((code) => code === 'UND_ERR_CONNECT_TIMEOUT')) {
    return new KcrError('timeout', `${host}: connection timed out`, {
      hint: 'check the network path to the registry',
      cause: err,
    });
  }
  if (has(isTimeout)) {
    return new KcrError('timeout', `${host}: the registry stopped answering (${detail(err).toLowerCase()})`, {
      hint: 'try again; if it keeps happening, check the registry and the network path to it',
      cause: err,
    });
  }
  if (has(isConnectionDropped)) {
    return new KcrError('network', `${host}: connection lost (${detail(err).toLowerCase()})`, {
      hint: 'the connection to the registry broke off; try again',
      cause: err,
    });
  }
  return new KcrError('network', `${host}: ${detail(err).toLowerCase()}`, {
    hint: 'check the network path to the registry and try again',
    cause: err,
  });
}

export interface SendOptions {
  method: string;
  headers?: Headers;
  body?: RequestBody;
  dispatcher: Dispatcher;
  signal?: AbortSignal;
}

export async function send(url: string, options: SendOptions): Promise<HttpResponse> {
  const res = await request(url, {
    method: options.method as Dispatcher.HttpMethod,
    headers: options.headers,
    body: options.body ?? null,
    dispatcher: options.dispatcher,
    signal: options.signal,
  });
  return { url, status: res.statusCode, headers: res.headers, body: res.body };
}

export function header(res: HttpResponse, name: string): string | undefined {
  const value = res.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

const errorBodySchema = z.looseObject({
  errors: z.array(
    z.looseObject({
      code: z.string().optional().catch(undefined),
      message: z.string().optional().catch(undefined),
    }),
  ),
});

/** The distribution spec's error body, `{"errors":[{"code","message","detail"}]}`, as one line. */
export async function errorText(res: HttpResponse): Promise<{ code?: string; text: string }> {
  let raw = '';
  try {
    raw = await res.body.text();
  } catch {
    /* the body is only for the message */
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    /* not JSON: the text itself is the message */
  }
  const body = errorBodySchema.safeParse(parsed);
  const first = body.success ? body.data.errors[0] : undefined;
  if (first)
    return {
      code: first.code,
      text: `${first.code ?? 'error'}: ${first.message ?? ''}`.toLowerCase().trim(),
    };
  return { text: raw.trim().slice(0, 200) || `http ${res.status}` };
}

/** Registry JSON documents (manifests, tag lists, token answers) are small; distribution caps manifests at 4 MiB. */
export const MAX_JSON_BYTES = 4 * 1024 * 1024;

export interface ReadBodyOptions {
  /** Refuse a body larger than this (declared or actual). */
  maxBytes?: number;
  /** What the body is, for the error message: `manifest v1`, `token response`. */
  what?: string;
}

/**
 * The whole body of a response. The connection can still break after the status line arrived, so
 * every failure goes through the same mapping as a failed request: a KcrError that names `host`.
 */
export async function readBody(
  res: HttpResponse,
  host: string,
  signal?: AbortSignal,
  options: ReadBodyOptions = {},
): Promise<Buffer> {
  const { maxBytes = Infinity, what = 'response' } = options;
  const tooLarge = () =>
    new KcrError('remote', `${host}: ${what} is larger than ${formatBytes(maxBytes)}`, {
      hint: 'the registry answered something other than the document asked for; check the registry address',
    });
  const declared = Number(header(res, 'content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.body.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) throw tooLarge();
      chunks.push(chunk);
    }
  } catch (err) {
    res.body.destroy();
    throw transportError(host, err, signal);
  }
  return Buffer.concat(chunks, size);
}

/** The `host:port` a response came from, to name in errors about its body. */
export function responseHost(res: HttpResponse): string {
  return new URL(res.url).host;
}

/** A JSON body, parsed: a broken connection, an oversized body or text that is not JSON each become a KcrError. */
export async function readJson(
  res: HttpResponse,
  host: string,
  what: string,
  signal?: AbortSignal,
  maxBytes = MAX_JSON_BYTES,
): Promise<unknown> {
  const bytes = await readBody(res, host, signal, { maxBytes, what });
  return parseRemoteJson(bytes, host, what);
}

/** JSON that a server sent: when it is not JSON, the error names the server and the document. */
export function parseRemoteJson(bytes: Buffer | string, host: string, what: string): unknown {
  try {
    return JSON.parse(bytes.toString());
  } catch (err) {
    throw new KcrError('remote', `${host}: ${what} is not valid JSON (${detail(err).toLowerCase()})`, {
      hint: 'the server answered something other than the registry API; check the registry address',
      cause: err,
    });
  }
}
