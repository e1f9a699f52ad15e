/**
 * Classifying network failures by their error codes. HTTP clients wrap the socket's error (undici
 * in `cause`, happy-eyeballs connects in an AggregateError's `errors`), so the code that says what
 * happened may sit a few levels down. Each module turns the class into its own message and hint.
 */
import { errnoCode } from '../errors.js';

/** Every string `code` in the error and its causes (and aggregated errors), outermost first. */
export function errorCodes(err: unknown, maxDepth = 5): string[] {
  const codes: string[] = [];
  const visit = (e: unknown, depth: number) => {
    if (!e || typeof e !== 'object' || depth > maxDepth) return;
    const code = errnoCode(e);
    if (code && !codes.includes(code)) codes.push(code);
    const { cause, errors } = e as { cause?: unknown; errors?: unknown };
    if (Array.isArray(errors)) for (const inner of errors) visit(inner, depth + 1);
    visit(cause, depth + 1);
  };
  visit(err, 0);
  return codes;
}

/** Certificate chains the client does not trust: a CA file (or skipping verification) fixes them. */
const TLS_UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
]);

/** Trusted certificates that still do not fit: wrong name, or out of their validity period. */
const TLS_REJECTED = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

export function isTlsUntrusted(code: string): boolean {
  return TLS_UNTRUSTED.has(code);
}

export function isTlsCertificateRejected(code: string): boolean {
  return TLS_REJECTED.has(code);
}

/** Any failure to verify the server's certificate. */
export function isTlsVerificationError(code: string): boolean {
  return TLS_UNTRUSTED.has(code) || TLS_REJECTED.has(code);
}

export function isDnsFailure(code: string): boolean {
  return code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME';
}

export function isConnectionRefused(code: string): boolean {
  return code === 'ECONNREFUSED';
}

export function isHostUnreachable(code: string): boolean {
  return code === 'EHOSTUNREACH' || code === 'ENETUNREACH';
}

/** The connection broke after it was made: reset, cut, or closed by the other side mid-exchange. */
export function isConnectionDropped(code: string): boolean {
  return [
    'ECONNRESET',
    'EPIPE',
    'ECONNABORTED',
    'UND_ERR_SOCKET',
    'UND_ERR_CLOSED',
    'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
    'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  ].includes(code);
}

/** The other side went quiet: while connecting, or before or during the answer. */
export function isTimeout(code: string): boolean {
  return ['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'].includes(
    code,
  );
}

/** True when any code in the chain satisfies `test`. */
export function hasErrorCode(err: unknown, test: (code: string) => boolean): boolean {
  return errorCodes(err).some(test);
}
