/**
 * Answers in the API's one JSON form: library values as `Wire<T>` (bigints as decimal strings,
 * Buffers as base64), and every error as `{error: {code, message, hint}}` with the HTTP status its
 * code means. Errors that are not KcrErrors are bugs: the client gets a generic message, the log
 * gets the stack.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isKcrError, type KcrErrorCode } from '../errors.js';
import type { ApiError } from './api-types.js';

const STATUS: Record<KcrErrorCode, ContentfulStatusCode> = {
  usage: 400,
  'invalid-input': 400,
  'not-found': 404,
  io: 500,
  integrity: 422,
  auth: 401,
  remote: 502,
  network: 502,
  timeout: 504,
  conflict: 409,
  cancelled: 499 as ContentfulStatusCode,
};

/** JSON.stringify's replacer for the wire form; `this` is the holder, seen before toJSON ran. */
function wireReplacer(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  if (typeof raw === 'bigint') return raw.toString();
  if (raw instanceof Uint8Array)
    return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64');
  return value;
}

export function wireJson(value: unknown): string {
  return JSON.stringify(value, wireReplacer);
}

export function sendJson(c: Context, value: unknown, status: ContentfulStatusCode = 200): Response {
  return c.body(wireJson(value), status, { 'content-type': 'application/json; charset=utf-8' });
}

export function errorBody(err: unknown): { status: ContentfulStatusCode; body: ApiError } {
  if (isKcrError(err)) {
    return {
      status: STATUS[err.code],
      body: { error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) } },
    };
  }
  return {
    status: 500,
    body: { error: { code: 'io', message: 'internal error (the kcr ui log has the details)' } },
  };
}
