/**
 * API server failures as user-facing errors. The API server answers errors with a `Status`
 * object; the kubelet (also when reached through the node proxy) answers with plain text. Both
 * end up here so that every command names the object and says what to do.
 */
import { ApiException } from '@kubernetes/client-node';
import { KcrError, type KcrErrorCode } from '../errors.js';
import { statusSchema } from './documents.js';
import {
  errorCodes,
  isConnectionDropped,
  isConnectionRefused,
  isDnsFailure,
  isHostUnreachable,
  isTimeout,
  isTlsVerificationError,
} from '../util/net-errors.js';

/** Failures to reach or keep talking to a server: the fix is the address or the network. */
const isReachabilityFailure = (code: string) =>
  isConnectionRefused(code) ||
  isDnsFailure(code) ||
  isHostUnreachable(code) ||
  isConnectionDropped(code) ||
  isTimeout(code);

/** The fields of a metav1.Status that kcr reads. */
export interface KubeStatus {
  kind: 'Status';
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; causes?: { reason?: string; message?: string }[] };
}

/** A metav1.Status from a response body (text or already parsed); undefined for anything else. */
export function parseStatus(body: unknown): KubeStatus | undefined {
  let value: unknown = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const status = statusSchema.safeParse(value);
  return status.success && status.data.kind === 'Status' ? { ...status.data, kind: 'Status' } : undefined;
}

/** Socket-level failures (refused, DNS, TLS) naming the server that could not be reached. */
export function networkError(
  err: unknown,
  server: string,
  tlsHint?: string | ((code: string) => string),
): KcrError | undefined {
  const codes = errorCodes(err);
  const code = codes.find(isTlsVerificationError) ?? codes.find(isReachabilityFailure) ?? codes[0];
  if (code === undefined) return undefined;
  if (isTlsVerificationError(code)) {
    const hint = typeof tlsHint === 'function' ? tlsHint(code) : tlsHint;
    return new KcrError('network', `${server}: TLS certificate not trusted (${code.toLowerCase()})`, {
      hint:
        hint ?? "the kubeconfig's certificate-authority does not match the server; check the cluster entry",
      cause: err,
    });
  }
  if (isReachabilityFailure(code)) {
    return new KcrError('network', `${server}: cannot connect (${code.toLowerCase()})`, {
      hint: 'check that the server is up and reachable from here, and the address in the kubeconfig or flag',
      cause: err,
    });
  }
  if (code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' || code === 'EPROTO') {
    return new KcrError('auth', `${server}: the server requires a client certificate`, {
      hint: 'pass a certificate the server trusts',
      cause: err,
    });
  }
  return undefined;
}

function codeFor(status: number): KcrErrorCode {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status === 504 || status === 408) return 'timeout';
  return 'remote';
}

/** A hint for the common API server answers; callers add better ones where they know more. */
function hintFor(status: number, st: KubeStatus | undefined, what: string): string | undefined {
  if (status === 401)
    return 'the API server rejected your credentials: refresh the token or certificate in the kubeconfig';
  if (status === 403) {
    const rule = /cannot (\w+) resource "([^"]+)"/.exec(st?.message ?? '');
    if (rule)
      return `ask for RBAC that allows verb "${rule[1]}" on "${rule[2]}" (check with \`kubectl auth can-i ${rule[1]} ${rule[2]}\`)`;
    return 'your user lacks the RBAC permission for this; check with `kubectl auth can-i`';
  }
  if (status === 404) return `check the name and namespace of ${what} (-n NAMESPACE)`;
  if (status === 409) return 'an object with that name exists; pick another name';
  return undefined;
}

/** Converts anything the client library throws into a KcrError about `what` (e.g. `pod default/web`). */
export function apiError(err: unknown, what: string, server = 'the API server'): KcrError {
  if (err instanceof KcrError) return err;
  if (err instanceof ApiException) {
    const status = err.code;
    const st = parseStatus(err.body);
    const message =
      st?.message ?? (typeof err.body === 'string' && err.body.trim() ? err.body.trim() : httpText(status));
    return new KcrError(codeFor(status), `${what}: ${message.split('\n')[0]}`, {
      hint: hintFor(status, st, what),
      cause: err,
    });
  }
  const net = networkError(err, server);
  if (net) return net;
  if (isAbort(err)) return new KcrError('cancelled', `${what}: cancelled`, { cause: err });
  const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new KcrError('remote', `${what}: ${detail}`, { cause: err });
}

export function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || errorCodes(err).includes('ABORT_ERR'));
}

export function httpText(status: number): string {
  const texts: Record<number, string> = {
    400: 'bad request',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'not found',
    409: 'conflict',
    500: 'internal server error',
    502: 'bad gateway',
    503: 'service unavailable',
    504: 'gateway timeout',
  };
  return texts[status] ?? `HTTP ${status}`;
}

/** True when the API server said the object does not exist (as opposed to the URL being unknown). */
export function isNotFound(err: unknown): boolean {
  return err instanceof ApiException && err.code === 404;
}
