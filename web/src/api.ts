/**
 * The client side of the API in src/server/api-types.ts: typed GETs and POSTs (POSTs carry the
 * CSRF cookie's value in the header the server checks) and server-sent event streams.
 */
import { API_PREFIX, CSRF_COOKIE, CSRF_HEADER, type ApiError } from '../../src/server/api-types.js';

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

function csrfToken(): string {
  const prefix = `${CSRF_COOKIE}=`;
  const cookie = document.cookie.split('; ').find((c) => c.startsWith(prefix));
  return cookie ? decodeURIComponent(cookie.slice(prefix.length)) : '';
}

export const enc = encodeURIComponent;

async function parse<T>(response: Response): Promise<T> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiFailure(response.status, 'io', `the server answered ${response.status} without JSON`);
  }
  if (!response.ok) {
    const { error } = body as ApiError;
    throw new ApiFailure(response.status, error.code, error.message, error.hint);
  }
  return body as T;
}

export async function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  return parse<T>(await fetch(API_PREFIX + path, { signal: signal ?? null }));
}

export async function post<T>(
  path: string,
  body: BodyInit,
  headers: Record<string, string> = {},
): Promise<T> {
  const response = await fetch(API_PREFIX + path, {
    method: 'POST',
    body,
    headers: { [CSRF_HEADER]: csrfToken(), ...headers },
  });
  return parse<T>(response);
}

export const postJson = <T>(path: string, value: unknown) =>
  post<T>(path, JSON.stringify(value), { 'content-type': 'application/json' });

export interface StreamHandlers {
  [event: string]: (data: unknown) => void;
}

/**
 * Follows a server-sent event stream until its `done` or `failed` event; returns the close
 * function (closing cancels the work on the server). A dropped connection is reported as
 * `failed`, not retried: a search or a restore must not start again behind the user's back.
 */
export function follow(path: string, handlers: StreamHandlers): () => void {
  const source = new EventSource(API_PREFIX + path);
  const close = () => source.close();
  for (const [event, handler] of Object.entries(handlers)) {
    source.addEventListener(event, (e) => {
      handler(JSON.parse((e as MessageEvent<string>).data));
      if (event === 'done' || event === 'failed') close();
    });
  }
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) return;
    close();
    handlers.failed?.({ code: 'network', message: 'the connection to kcr ui was lost' });
  };
  return close;
}

export function describeError(err: unknown): { message: string; hint?: string } {
  if (err instanceof ApiFailure) return { message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  if (err instanceof Error) return { message: err.message };
  return { message: String(err) };
}
