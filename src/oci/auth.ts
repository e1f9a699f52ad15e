/**
 * Registry authentication: the `WWW-Authenticate` challenge, then Basic or the Bearer token flow
 * (distribution's token spec: GET realm?service=…&scope=…, with Basic credentials when there are some,
 * anonymous otherwise).
 */
import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { KcrError } from '../errors.js';
import type { Credentials } from './credentials.js';
import { errorText, readJson, send, transportError } from './http.js';

/** A token server's answer (distribution's token spec, or OAuth2's `access_token`); a field of another type counts as absent. */
const tokenAnswerSchema = z.looseObject({
  token: z.string().optional().catch(undefined),
  access_token: z.string().optional().catch(undefined),
});

export interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

/** Parses `Bearer realm="…",service="…",scope="…"` (quoted or token values, commas inside quotes kept). */
export function parseChallenge(value: string | undefined): Challenge | undefined {
  if (!value) return undefined;
  const match = /^\s*(\w+)\s*(.*)$/s.exec(value);
  if (!match) return undefined;
  const scheme = match[1]!.toLowerCase();
  if (scheme !== 'basic' && scheme !== 'bearer') return undefined;
  const params: Record<string, string> = {};
  const re = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (let m = re.exec(match[2]!); m; m = re.exec(match[2]!)) {
    params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
  }
  return { scheme, params };
}

export function basicHeader(creds: Credentials): string {
  return 'Basic ' + Buffer.from(`${creds.username}:${creds.password}`).toString('base64');
}

export function credentialsRefused(registry: string, creds: Credentials | undefined): KcrError {
  if (!creds) {
    return new KcrError('auth', `${registry}: authentication required`, {
      hint: 'log in with `podman login` or `docker login`, or pass --username and --password-stdin',
    });
  }
  return new KcrError(
    'auth',
    `${registry}: credentials refused for user ${creds.username} (from ${creds.source})`,
    {
      hint: 'check the username and password, or log in again',
    },
  );
}

export interface TokenRequest {
  registry: string;
  challenge: Challenge;
  scopes: string[];
  credentials: Credentials | undefined;
  dispatcher: Dispatcher;
  signal?: AbortSignal;
}

/** The token server's URL from a Bearer challenge: it comes from the registry, so it is checked. */
export function realmUrl(registry: string, challenge: Challenge): URL {
  const { realm } = challenge.params;
  if (!realm) throw new KcrError('remote', `${registry}: bearer challenge without a realm`);
  let url: URL | undefined;
  try {
    url = new URL(realm);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new KcrError(
      'remote',
      `${registry}: bearer challenge realm ${JSON.stringify(realm)} is not an http(s) URL`,
      {
        hint: 'the registry is misconfigured: its auth token realm must be the URL of a token server',
      },
    );
  }
  return url;
}

/** Fetches a Bearer token for the scopes; returns the Authorization header value. */
export async function fetchToken(req: TokenRequest): Promise<string> {
  const { service, scope } = req.challenge.params;
  const url = realmUrl(req.registry, req.challenge);
  if (service) url.searchParams.set('service', service);
  const scopes = new Set(req.scopes);
  if (scope) for (const s of scope.split(' ')) scopes.add(s);
  for (const s of scopes) url.searchParams.append('scope', s);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (req.credentials) headers.authorization = basicHeader(req.credentials);
  let res;
  try {
    res = await send(url.toString(), {
      method: 'GET',
      headers,
      dispatcher: req.dispatcher,
      signal: req.signal,
    });
  } catch (err) {
    throw transportError(url.host, err, req.signal);
  }
  if (res.status === 401 || res.status === 403) {
    await res.body.dump();
    throw credentialsRefused(req.registry, req.credentials);
  }
  if (res.status !== 200) {
    const { text } = await errorText(res);
    throw new KcrError('remote', `${url.host}: token request failed: ${text}`);
  }
  const body = tokenAnswerSchema.safeParse(await readJson(res, url.host, 'token response', req.signal));
  const token = body.success ? (body.data.token ?? body.data.access_token) : undefined;
  if (!token)
    throw new KcrError('remote', `${url.host}: token response holds no token`, {
      hint: 'the bearer challenge points at something that is not a token server; check the registry',
    });
  return `Bearer ${token}`;
}
