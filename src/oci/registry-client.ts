/**
 * A client for one repository on one registry, speaking the OCI distribution API directly:
 * /v2/ ping, auth, blob HEAD/GET, manifests and tags. Uploads live in upload.ts.
 */
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
  MAX_JSON_BYTES,
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
}

export type Access = 'pull' | 'push';

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
    const agent = createAgent({ caFile: options.caFile, insecure: options.insecure });
    const otherAgent = createAgent({ caFile: options.caFile });
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

  /** GET /v2/: finds the scheme (HTTPS, or HTTP for --insecure registries that do not speak TLS) and authenticates. */
  private async ping(signal?: AbortSignal): Promise<void> {
    const host = registryApiHost(this.registry);
    let res: HttpResponse;
    try {
      res = await send(`${this.base}/v2/`, { method: 'GET', dispatcher: this.agent, signal });
    } catch (err) {
      if (!isTlsProtocolError(err)) throw transportError(host, err, signal);
      // Plain HTTP only for --insecure registries and, as docker and podman allow, loopback ones
      // (nothing crosses a network there); anywhere else say what happened and how to allow it.
      if (!this.options.insecure && !isLoopbackHost(host)) throw plainHttpError(host, err, signal);
      this.base = `http://${host}`;
      try {
        res = await send(`${this.base}/v2/`, { method: 'GET', dispatcher: this.agent, signal });
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
    const realmHost = realmUrl(this.registry, challenge).host;
    const sameHost = realmHost === registryApiHost(this.registry);
    this.authorization = await fetchToken({
      registry: this.registry,
      challenge,
      scopes: this.scopes,
      credentials: this.credentials,
      dispatcher: sameHost ? this.agent : this.otherAgent,
      signal,
    });
  }

  private authHeaders(extra: Headers = {}): Headers {
    return { ...(this.authorization ? { authorization: this.authorization } : {}), ...extra };
  }

  /**
   * One request with auth. A 401 re-authenticates (tokens expire) and, when the body can be sent
   * again, retries once; a streamed body cannot, so the caller (the upload loop) resumes instead.
   */
  async request(
    method: string,
    url: string,
    init: { headers?: Headers; body?: RequestBody; signal?: AbortSignal } = {},
  ): Promise<HttpResponse> {
    const host = new URL(url).host;
    const replayable = init.body === undefined || typeof init.body === 'string' || Buffer.isBuffer(init.body);
    for (let attempt = 0; ; attempt++) {
      let res: HttpResponse;
      try {
        res = await send(url, {
          method,
          headers: this.authHeaders(init.headers),
          body: init.body,
          dispatcher: this.agent,
          signal: init.signal,
        });
      } catch (err) {
        throw transportError(host, err, init.signal);
      }
      if (res.status !== 401) return res;
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
    const { code, text } = await errorText(res);
    const where = `${this.registry}/${this.repository}`;
    if (
      res.status === 404 ||
      code === 'MANIFEST_UNKNOWN' ||
      code === 'NAME_UNKNOWN' ||
      code === 'BLOB_UNKNOWN'
    ) {
      throw new KcrError('not-found', `${where}: ${what}: not found (${text})`, {
        hint: `check the repository and tag; \`skopeo list-tags docker://${where}\` lists the tags there`,
      });
    }
    if (isDenied(res.status)) {
      throw new KcrError('auth', `${where}: ${what}: access denied (${text})`, {
        hint: 'check that your credentials allow this repository',
      });
    }
    throw new KcrError('remote', `${where}: ${what}: registry answered ${res.status} (${text})`);
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
    const res = await this.request('PUT', this.url(`manifests/${reference}`), {
      headers: { 'content-type': mediaType, 'content-length': String(bytes.length) },
      body: bytes,
      signal,
    });
    await (res.status === 201 || res.status === 200
      ? res.body.dump()
      : this.fail(res, `manifest ${reference}`));
    return header(res, 'docker-content-digest') ?? sha256Digest(bytes);
  }

  /** GET a blob, following redirects to storage (without our Authorization header on other hosts). */
  async getBlob(digest: string, signal?: AbortSignal): Promise<HttpResponse> {
    let res = await this.request('GET', this.url(`blobs/${digest}`), { signal });
    for (let hops = 0; [301, 302, 303, 307, 308].includes(res.status) && hops < 5; hops++) {
      await res.body.dump();
      const target = this.resolve(header(res, 'location') ?? '');
      const sameHost = new URL(target).host === new URL(this.base).host;
      res = sameHost
        ? await this.request('GET', target, { signal })
        : await send(target, { method: 'GET', dispatcher: this.otherAgent, signal }).catch((err: unknown) => {
            throw transportError(new URL(target).host, err, signal);
          });
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
