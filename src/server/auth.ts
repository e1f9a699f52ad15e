/**
 * Who may use the dashboard. Archives hold a process's whole memory, so every API call needs the
 * token `kcr ui` printed (given with --token, or generated), on loopback too, as Jupyter does:
 * other local users and web pages the user visits must not read it.
 *
 * - A browser opens `/?token=T` once: the server sets an HttpOnly, SameSite=Strict session
 *   cookie and a readable CSRF cookie, and redirects to the same page without the token, so it
 *   stays out of history and screenshots.
 * - Scripts send `Authorization: Bearer T`.
 * - Mutating calls are POST only; with cookie auth they must carry the CSRF cookie's value in the
 *   `x-kcr-csrf` header (double submit, which a cross-site form cannot do), and a cross-origin
 *   `Origin` is refused outright.
 * - On a loopback address the Host header must name loopback, which defeats DNS rebinding.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { KcrError } from '../errors.js';
import { CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE } from './api-types.js';

export const newToken = (): string => randomBytes(24).toString('base64url');

function same(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/i;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

function bearer(c: Context): string | undefined {
  const header = c.req.header('authorization');
  const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return m?.[1];
}

/** The DNS-rebinding guard for loopback listeners. */
export function hostGuard(loopback: boolean): MiddlewareHandler {
  return async (c, next) => {
    if (loopback && !LOOPBACK_HOST.test(c.req.header('host') ?? '')) {
      throw new KcrError('auth', `host "${c.req.header('host') ?? ''}" refused`, {
        hint: 'the dashboard listens on loopback: open it as http://127.0.0.1:PORT/ or http://localhost:PORT/',
      });
    }
    await next();
  };
}

/** `/?token=T`: trade the token for the session cookie, then drop it from the URL. */
export function tokenLanding(token: string): MiddlewareHandler {
  return async (c, next) => {
    const given = c.req.query('token');
    if (given === undefined || c.req.method !== 'GET') return next();
    if (!same(given, token)) {
      throw new KcrError('auth', 'wrong token in the URL', {
        hint: 'open the URL kcr ui printed when it started',
      });
    }
    const cookie = { path: '/', sameSite: 'Strict', secure: false } as const;
    setCookie(c, SESSION_COOKIE, token, { ...cookie, httpOnly: true });
    setCookie(c, CSRF_COOKIE, randomBytes(18).toString('base64url'), cookie);
    const url = new URL(c.req.url);
    url.searchParams.delete('token');
    return c.redirect(url.pathname + url.search + url.hash, 303);
  };
}

/** Every API call: the token (cookie or bearer); POSTs with cookie auth also the CSRF header. */
export function apiAuth(token: string): MiddlewareHandler {
  return async (c, next) => {
    const viaHeader = same(bearer(c), token);
    const viaCookie = !viaHeader && same(getCookie(c, SESSION_COOKIE), token);
    if (!viaHeader && !viaCookie) {
      throw new KcrError('auth', 'this dashboard needs its token', {
        hint: 'open the URL kcr ui printed (it carries the token), or send Authorization: Bearer TOKEN',
      });
    }
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const origin = c.req.header('origin');
      if (origin !== undefined && origin !== new URL(c.req.url).origin) {
        throw new KcrError('auth', `cross-origin request from ${origin} refused`);
      }
      const csrf = getCookie(c, CSRF_COOKIE);
      if (viaCookie && (csrf === undefined || !same(c.req.header(CSRF_HEADER), csrf))) {
        throw new KcrError('auth', `missing or wrong ${CSRF_HEADER} header`, {
          hint: `a POST with the session cookie carries the ${CSRF_COOKIE} cookie's value in ${CSRF_HEADER}`,
        });
      }
    }
    await next();
  };
}
