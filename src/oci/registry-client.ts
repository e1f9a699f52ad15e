/**
 * A client for one repository on one registry, speaking the OCI distribution API directly:
 * /v2/ ping, auth, blob HEAD/GET, manifests and tags. Uploads live in upload.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Agent } from 'undici';
import { z } from 'zod';
import { KcrError } from '../errors.js';
import {
  basicHeader,
  credentialsRefused,
  fetchToken,
  parseChallenge,
  realmUrl,
  type Challenge,
} from './auth.js';
import { resolveCredentials, type CredentialOptions, type Credentials } from './credentials.js';
import { sha256Digest } from './digest.js';
import {
  createAgent,
  DEFAULT_TIMEOUT_MS,
  MAX_JSON_BYTES,
  UPLOAD_ANSWER_TIMEOUT_MS,
  errorText,
  header,
  isTlsProtocolError,
  readBody,
  readJson,
  responseHost,
  send,
  transportError,
  type Headers,
  type HttpResponse,
  type RequestBody,
} from './http.js';
import { MANIFEST_ACCEPT } from './media-types.js';
import { registryApiHost } from './reference.js';

export interface RegistryOptions extends CredentialOptions {
  /** A PEM file with the CA that signed the registry's certificate. */
  caFile?: string;
  /** Allow plain HTTP or unverified TLS, for the named registry only. */
  insecure?: boolean;
  /** Upload chunk size in bytes; 0 (the default) sends each blob as one streamed chunk. */
  chunkSize?: number;
  /** How often an upload is resumed after a broken connection before giving up. */
  retries?: number;
  /**
   * Milliseconds a registry may stay silent (connect, headers, between body bytes), and the deadline
   * for a whole small document (manifest, config, token); default DEFAULT_TIMEOUT_MS.
   */
  timeoutMs?: number;
}

export type Access = 'pull' | 'push';

export interface RequestInit {
  headers?: Headers;
  body?: RequestBody;
  signal?: AbortSignal;
  /**
   * What the exchange carries: a small document by default (the whole answer must arrive within the
   * timeout); `upload` sends a blob and waits longer for the verdict; `download` streams a blob (its
   * body is held to a rate by blobBodyGuard instead of a deadline).
   */
  transfer?: 'upload' | 'download';
}

export interface ConnectOptions extends RegistryOptions {
  signal?: AbortSignal;
  /** Repositories blobs may be mounted from (they need pull scope in the token). */
  mountFrom?: string[];
}

/** A page of a tag list: repositories with many CI tags get long lists, and not every registry paginates. */
const MAX_TAG_LIST_BYTES = 32 * 1024 * 1024;

/** `GET /v2/<name>/tags/list`: `{"name": …, "tags": [...]}`; an empty repository may answer `"tags": null`. */
const tagListSchema = z.looseObject({ tags: z.array(z.string()).nullish() });

/** Registry answers that mean the caller is not allowed in. */
function isDenied(status: number): boolean {
  return status === 401 || status === 403;
}

/** `localhost`, `127.0.0.0/8` or `[::1]`, with or without a port: a registry on this machine. */
export function isLoopbackHost(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

function plainHttpError(host: string, err: unknown, signal?: AbortSignal): KcrError {
  if (!/wrong version number|packet length too long|http request/i.test(errorMessage(err)))
    return transportError(host, err, signal);
  return new KcrError('network', `${host}: the registry answered in plain HTTP, not HTTPS`, {
    hint: `kcr speaks HTTPS unless told otherwise; if ${host} is meant to be a plain-HTTP registry, add --insecure (it applies to ${host} only)`,
    cause: err,
  });
}

/** The messages of an error and its causes, joined: TLS failures carry OpenSSL's text a level down. */
function errorMessage(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++)
    parts.push(e.message);
  return parts.join(' | ');
}

export class RegistryClient {
  private authorization: string | undefined;
  private challenge: Challenge | undefined;

  private constructor(
    readonly registry: string,
    readonly repository: string,
    private base: string,
    private readonly agent: Agent,
    /** For token realms and blob redirects on other hosts: always verified. */
    private readonly otherAgent: Agent,
    private readonly credentials: Credentials | undefined,
    private readonly scopes: string[],
    readonly options: RegistryOptions,
  ) {}

  static async connect(
    registry: string,
    repository: string,
    access: Access,
    options: ConnectOptions = {},
  ): Promise<RegistryClient> {
    const credentials = await resolveCredentials(registry, options);
    const host = registryApiHost(registry);
    const agent = createAgent({
      caFile: options.caFile,
      insecure: options.insecure,
      timeoutMs: options.timeoutMs,
    });
    const otherAgent = createAgent({ caFile: options.caFile, timeoutMs: options.timeoutMs });
    const scopes = [
      `repository:${repository}:${access === 'push' ? 'pull,push' : 'pull'}`,
      ...(options.mountFrom ?? []).filter((r) => r !== repository).map((r) => `repository:${r}:pull`),
    ];
    const client = new RegistryClient(
      registry,
      repository,
      `https://${host}`,
      agent,
      otherAgent,
      credentials,
      scopes,
      options,
    );
    try {
      await client.ping(options.signal);
    } catch (err) {
      await client.close();
      throw err;
    }
    return client;
  }

  async close(): Promise<void> {
    await Promise.all([this.agent.close(), this.otherAgent.close()]).catch(() => {});
  }

  /** `https://host/v2/<repository>/<path>` */
  url(path: string): string {
    return `${this.base}/v2/${this.repository}/${path}`;
  }

  /** Absolute URL for a Location header, which may be relative to the registry. */
  resolve(location: string): string {
    try {
      return new URL(location, this.base).toString();
    } catch (err) {
      throw new KcrError(
        'remote',
        `${this.registry}: answered with an invalid Location ${JSON.stringify(location)}`,
        {
          hint: 'the registry (or a proxy in front of it) sent a broken redirect or upload URL',
          cause: err,
        },
      );
    }
  }

  /** The deadline for a whole small exchange (ping, HEAD, manifest, token). */
  get timeoutMs(): number {
    return this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /**
   * How a request to `url` may go. Registries hand out URLs (upload Locations, redirects, token realms)
   * that may point anywhere; credentials go only to the registry's own origin (scheme, host and port,
   * as the user named it), everything else gets none and verified TLS, and plain HTTP is allowed only
   * where the user allowed it: the registry itself is plain, or it is the host named with --insecure.
   */
  route(url: string): { dispatcher: Agent; credentials: boolean } {
    const target = new URL(url);
    const base = new URL(this.base);
    const registryHost = target.hostname === base.hostname;
    if (target.protocol !== 'https:' && target.protocol !== 'http:')
      throw this.refusedUrl(target, 'is not an http(s) URL');
    if (
      target.protocol === 'http:' &&
      !(registryHost && (this.options.insecure || base.protocol === 'http:'))
    )
      throw this.refusedUrl(target, 'is plain HTTP on a host not named with --insecure');
    if (target.origin === base.origin) return { dispatcher: this.agent, credentials: true };
    return { dispatcher: target.host === base.host ? this.agent : this.otherAgent, credentials: false };
  }

  private refusedUrl(target: URL, why: string): KcrError {
    return new KcrError(
      'remote',
      `${this.registry}: refused to follow the registry to ${target.origin}: it ${why}`,
      {
        hint: 'a registry (or a proxy in front of it) sent an upload or download URL elsewhere; kcr sends data and credentials only over TLS, and credentials only to the registry itself',
      },
    );
  }

  /** GET /v2/: finds the scheme (HTTPS, or HTTP for --insecure registries that do not speak TLS) and authenticates. */
  private async ping(signal?: AbortSignal): Promise<void> {
    const host = registryApiHost(this.registry);
    let res: HttpResponse;
    try {
      res = await send(`${this.base}/v2/`, {
        method: 'GET',
        dispatcher: this.agent,
        signal,
        deadlineMs: this.timeoutMs,
      });
    } catch (err) {
      if (!isTlsProtocolError(err)) throw transportError(host, err, signal);
      // Plain HTTP only for --insecure registries and, as docker and podman allow, loopback ones
      // (nothing crosses a network there); anywhere else say what happened and how to allow it.
      if (!this.options.insecure && !isLoopbackHost(host)) throw plainHttpError(host, err, signal);
      this.base = `http://${host}`;
      try {
        res = await send(`${this.base}/v2/`, {
          method: 'GET',
          dispatcher: this.agent,
          signal,
          deadlineMs: this.timeoutMs,
        });
      } catch (err2) {
        throw transportError(host, err2, signal);
      }
    }
    await res.body.dump();
    if (res.status === 200) return;
    if (res.status !== 401)
      throw new KcrError('remote', `${host}: not an OCI registry (GET /v2/ answered ${res.status})`);
    await this.authenticate(header(res, 'www-authenticate'), signal);
    // Basic credentials are only checked by using them: ping again so wrong ones fail here, clearly.
    if (this.challenge?.scheme === 'basic') {
      const again = await send(`${this.base}/v2/`, {
        method: 'GET',
        headers: this.authHeaders(),
        dispatcher: this.agent,
        signal,
        deadlineMs: this.timeoutMs,
      }).catch((err: unknown) => {
        throw transportError(host, err, signal);
      });
      await again.body.dump();
      if (isDenied(again.status)) throw credentialsRefused(this.registry, this.credentials);
    }
  }

  private async authenticate(wwwAuthenticate: string | undefined, signal?: AbortSignal): Promise<void> {
    const challenge = parseChallenge(wwwAuthenticate) ?? this.challenge;
    if (!challenge)
      throw new KcrError('remote', `${this.registry}: 401 without a usable WWW-Authenticate challenge`);
    this.challenge = challenge;
    if (challenge.scheme === 'basic') {
      if (!this.credentials) throw credentialsRefused(this.registry, undefined);
      this.authorization = basicHeader(this.credentials);
      return;
    }
    const base = new URL(this.base);
    // A plain-HTTP realm only where the registry itself is plain or --insecure by the user's choice.
    const realm = realmUrl(
      this.registry,
      challenge,
      this.options.insecure === true || base.protocol === 'http:',
    );
    // As docker does: credentials travel to a token server on another host only over TLS (a realm on
    // the registry's own host may be as plain as the registry the user chose to reach over HTTP).
    const withCredentials = realm.protocol === 'https:' || realm.hostname === base.hostname;
    this.authorization = await fetchToken({
      registry: this.registry,
      challenge,
      realm,
      scopes: this.scopes,
      credentials: withCredentials ? this.credentials : undefined,
      dispatcher: realm.host === base.host ? this.agent : this.otherAgent,
      signal,
      deadlineMs: this.timeoutMs,
    });
  }

  private authHeaders(extra: Headers = {}): Headers {
    return { ...(this.authorization ? { authorization: this.authorization } : {}), ...extra };
  }

  /**
   * One request with auth. A 401 re-authenticates (tokens expire) and, when the body can be sent
   * again, retries once; a streamed body cannot, so the caller (the upload loop) resumes instead.
   */
  async request(method: string, url: string, init: RequestInit = {}): Promise<HttpResponse> {
    const host = new URL(url).host;
    const { dispatcher, credentials } = this.route(url);
    const replayable = init.body === undefined || typeof init.body === 'string' || Buffer.isBuffer(init.body);
    for (let attempt = 0; ; attempt++) {
      let res: HttpResponse;
      try {
        res = await send(url, {
          method,
          headers: credentials ? this.authHeaders(init.headers) : { ...init.headers },
          body: init.body,
          dispatcher,
          signal: init.signal,
          ...(init.transfer === 'upload'
            ? { headersTimeoutMs: Math.max(this.timeoutMs, UPLOAD_ANSWER_TIMEOUT_MS) }
            : init.transfer === 'download'
              ? {}
              : { deadlineMs: this.timeoutMs }),
        });
      } catch (err) {
        throw transportError(host, err, init.signal);
      }
      // Another origin's 401 is its own business: our credentials never go there.
      if (res.status !== 401 || !credentials) return res;
      await res.body.dump();
      if (attempt > 0) throw credentialsRefused(this.registry, this.credentials);
      await this.authenticate(header(res, 'www-authenticate'), init.signal);
      if (!replayable)
        throw new KcrError('auth', `${this.registry}: authorization expired during an upload`, {
          hint: 'retry',
        });
    }
  }

  /** Turns an unexpected answer into an error that names what was asked for. */
  async fail(res: HttpResponse, what: string): Promise<never> {
    return this.failWith(res.status, await errorText(res), what);
  }

  /** `fail` for an answer whose error body was already read. */
  private failWith(status: number, { code, text }: { code?: string; text: string }, what: string): never {
    const where = `${this.registry}/${this.repository}`;
    if (status === 404 || code === 'MANIFEST_UNKNOWN' || code === 'NAME_UNKNOWN' || code === 'BLOB_UNKNOWN') {
      throw new KcrError('not-found', `${where}: ${what}: not found (${text})`, {
        hint: `check the repository and tag; \`skopeo list-tags docker://${where}\` lists the tags there`,
      });
    }
    if (isDenied(status)) {
      throw new KcrError('auth', `${where}: ${what}: access denied (${text})`, {
        hint: 'check that your credentials allow this repository',
      });
    }
    throw new KcrError('remote', `${where}: ${what}: registry answered ${status} (${text})`);
  }

  /** The blob's size if the repository has it (HEAD), else undefined. */
  async blobSize(digest: string, signal?: AbortSignal): Promise<number | undefined> {
    const res = await this.request('HEAD', this.url(`blobs/${digest}`), { signal });
    await res.body.dump();
    if (res.status === 404) return undefined;
    if (res.status !== 200) return this.fail(res, `blob ${digest}`);
    return Number(header(res, 'content-length') ?? 0);
  }

  /** GET a manifest by tag or digest; by digest, the bytes are verified against it. */
  async getManifest(
    reference: string,
    signal?: AbortSignal,
  ): Promise<{ bytes: Buffer; mediaType: string; digest: string }> {
    const res = await this.request('GET', this.url(`manifests/${reference}`), {
      headers: { accept: MANIFEST_ACCEPT },
      signal,
    });
    if (res.status !== 200) return this.fail(res, `manifest ${reference}`);
    const bytes = await readBody(res, responseHost(res), signal, {
      maxBytes: MAX_JSON_BYTES,
      what: `manifest ${reference}`,
    });
    const digest = sha256Digest(bytes);
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new KcrError(
        'integrity',
        `${this.registry}/${this.repository}: manifest ${reference} has digest ${digest}`,
        {
          hint: 'the registry returned different bytes than asked for; do not trust this image',
        },
      );
    }
    const mediaType = (header(res, 'content-type') ?? '').split(';')[0]!.trim();
    return { bytes, mediaType, digest };
  }

  async putManifest(
    reference: string,
    bytes: Buffer,
    mediaType: string,
    signal?: AbortSignal,
  ): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.request('PUT', this.url(`manifests/${reference}`), {
        headers: { 'content-type': mediaType, 'content-length': String(bytes.length) },
        body: bytes,
        signal,
      });
      if (res.status === 201 || res.status === 200) {
        await res.body.dump();
        return header(res, 'docker-content-digest') ?? sha256Digest(bytes);
      }
      const error = await errorText(res);
      // distribution checks each blob a manifest names by reading the repository's link file for
      // it; while another push links the same blob (two backups share the `{}` config), that file
      // is rewritten in place and reads empty, which it reports as DIGEST_INVALID. The blob is
      // whole a moment later, so this one answer is worth a few retries.
      if (res.status === 400 && error.code === 'DIGEST_INVALID' && attempt < 4) {
        await sleep(50 * 2 ** attempt, undefined, { signal });
        continue;
      }
      return this.failWith(res.status, error, `manifest ${reference}`);
    }
  }

  /** GET a blob, following redirects to storage (by route(): no credentials on other origins). */
  async getBlob(
    digest: string,
    signal?: AbortSignal,
    kind: 'document' | 'stream' = 'stream',
  ): Promise<HttpResponse> {
    const transfer = kind === 'stream' ? 'download' : undefined;
    let res = await this.request('GET', this.url(`blobs/${digest}`), { signal, transfer });
    for (let hops = 0; [301, 302, 303, 307, 308].includes(res.status) && hops < 5; hops++) {
      await res.body.dump();
      const target = this.resolve(header(res, 'location') ?? '');
      res = await this.request('GET', target, { signal, transfer });
    }
    if (res.status !== 200) return this.fail(res, `blob ${digest}`);
    return res;
  }

  async listTags(signal?: AbortSignal): Promise<string[]> {
    const tags: string[] = [];
    let url: string | undefined = this.url('tags/list');
    while (url) {
      const res = await this.request('GET', url, { signal });
      if (res.status !== 200) return this.fail(res, 'tag list');
      const body = tagListSchema.safeParse(
        await readJson(res, responseHost(res), 'tag list', signal, MAX_TAG_LIST_BYTES),
      );
      if (!body.success)
        throw new KcrError('remote', `${this.registry}/${this.repository}: tag list holds no list of tags`);
      tags.push(...(body.data.tags ?? []));
      // Pagination: `Link: </v2/…/tags/list?last=x&n=y>; rel="next"`.
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(header(res, 'link') ?? '');
      url = next ? this.resolve(next[1]!) : undefined;
    }
    return tags;
  }
}

/** Connects, runs `fn`, and always closes the connection pools. */
export async function withRegistry<T>(
  registry: string,
  repository: string,
  access: Access,
  options: ConnectOptions,
  fn: (client: RegistryClient) => Promise<T>,
): Promise<T> {
  const client = await RegistryClient.connect(registry, repository, access, options);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}
