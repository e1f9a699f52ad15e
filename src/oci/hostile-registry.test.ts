/**
 * Registries that attack the user, played by in-process servers on 127.0.0.1 (and 127.0.0.2, which
 * is "another host" to a client of 127.0.0.1): no credential leaves the registry's origin, no archive
 * goes out over plain HTTP the user did not allow, oversized and slow answers are refused in bounded
 * time, and nothing is written when they are.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestPki, type Pem } from '../testing/pki.js';
import { startStubServer, type StubServer } from '../testing/stub-server.js';
import { inspectCheckpointImage } from './inspect.js';
import { publishCheckpointImage } from './publish.js';
import { pullCheckpointImage } from './pull.js';

const counterTar = join(import.meta.dirname, '../../test/fixtures/podman/busybox-counter.tar');
const env = { HOME: '/nonexistent', PATH: process.env.PATH };
const user = { username: 'victim', password: 'hunter2-registry-password' };
const basic = 'Basic ' + Buffer.from(`${user.username}:${user.password}`).toString('base64');

let work: string;
let pki: TestPki;
let serving: Pem;
const servers: StubServer[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kcr-hostile-registry-'));
  pki = await TestPki.create(work);
  serving = await pki.server('stub', ['DNS:localhost', 'IP:127.0.0.1', 'IP:127.0.0.2']);
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function stub(options: { tls?: boolean; address?: string } = {}): Promise<StubServer> {
  const server = await startStubServer({
    ...(options.tls ? { tls: { cert: serving.cert, key: serving.key } } : {}),
    address: options.address,
  });
  servers.push(server);
  return server;
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** A registry that wants Basic credentials and takes them (only ours), and has no blobs. */
function basicRegistry(server: StubServer): void {
  server.routes.set('GET /v2/', (req, res) =>
    req.headers.authorization === basic
      ? json(res, 200, {})
      : json(res, 401, {}, { 'www-authenticate': 'Basic realm="stub"' }),
  );
  server.routes.set('HEAD /v2/*', (_req, res) => res.writeHead(404).end());
}

function sha256(bytes: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
}

/** Serves a one-layer image whose manifest declares `layer.size`; the blob handler decides what really comes. */
function imageRegistry(
  server: StubServer,
  declaredLayer: Buffer,
  sendLayer: (res: ServerResponse) => void,
): void {
  // A spec-valid config (the OCI image spec requires rootfs.diff_ids, and kcr's config schema
  // refuses one without): the attack is in the layer, not in the documents.
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [sha256(declaredLayer)] },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: sha256(config),
        size: config.length,
      },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar',
          digest: sha256(declaredLayer),
          size: declaredLayer.length,
        },
      ],
    }),
  );
  server.routes.set('GET /v2/', (_req, res) => json(res, 200, {}));
  server.routes.set('GET /v2/evil/app/manifests/v1', (_req, res) =>
    res
      .writeHead(200, {
        'content-type': 'application/vnd.oci.image.manifest.v1+json',
        'content-length': String(manifest.length),
      })
      .end(manifest),
  );
  server.routes.set(`GET /v2/evil/app/blobs/${sha256(config)}`, (_req, res) =>
    res.writeHead(200).end(config),
  );
  server.routes.set(`GET /v2/evil/app/blobs/${sha256(declaredLayer)}`, (_req, res) => sendLayer(res));
}

/** Writes `chunk` every `everyMs` until the client goes away. */
function trickle(res: ServerResponse, chunk: Buffer, everyMs: number): void {
  const timer = setInterval(() => res.write(chunk), everyMs);
  res.on('close', () => clearInterval(timer));
}

describe('credentials stay with their registry', () => {
  it('refuses an upload Location on another host over plain HTTP: the archive and the password never go there', async () => {
    const registry = await stub();
    const elsewhere = await stub({ address: '127.0.0.2' });
    basicRegistry(registry);
    registry.routes.set('POST /v2/evil/app/blobs/uploads/', (_req, res) =>
      res.writeHead(202, { location: `${elsewhere.origin}/steal` }).end(),
    );
    await expect(
      publishCheckpointImage(counterTar, `${registry.host}/evil/app:v1`, { insecure: true, env, ...user }),
    ).rejects.toMatchObject({
      code: 'remote',
      message: expect.stringContaining(`refused to follow the registry to ${elsewhere.origin}`),
    });
    expect(elsewhere.requests).toEqual([]);
  });

  it('sends no credentials to an upload Location on another origin, even over TLS', async () => {
    const registry = await stub({ tls: true });
    const elsewhere = await stub({ tls: true, address: '127.0.0.2' });
    basicRegistry(registry);
    registry.routes.set('POST /v2/evil/app/blobs/uploads/', (_req, res) =>
      res.writeHead(202, { location: `${elsewhere.origin}/upload/1` }).end(),
    );
    elsewhere.routes.set('* /upload/*', (_req, res) => res.writeHead(500).end());
    await expect(
      publishCheckpointImage(counterTar, `${registry.host}/evil/app:v1`, {
        caFile: pki.ca.certFile,
        env,
        retries: 0,
        ...user,
      }),
    ).rejects.toMatchObject({ code: 'remote' });
    expect(elsewhere.requests.length).toBeGreaterThan(0);
    expect(elsewhere.requests.every((r) => r.authorization === undefined)).toBe(true);
    // The registry itself did get them: the rule is about origins, not about auth as such.
    expect(registry.requests.some((r) => r.authorization === basic)).toBe(true);
  });

  it('refuses a TLS registry that sends the upload to plain HTTP on its own host', async () => {
    const registry = await stub({ tls: true });
    const plain = await stub();
    basicRegistry(registry);
    registry.routes.set('POST /v2/evil/app/blobs/uploads/', (_req, res) =>
      res.writeHead(202, { location: `${plain.origin}/upload/1` }).end(),
    );
    await expect(
      publishCheckpointImage(counterTar, `${registry.host}/evil/app:v1`, {
        caFile: pki.ca.certFile,
        env,
        ...user,
      }),
    ).rejects.toMatchObject({ code: 'remote', message: expect.stringContaining('plain HTTP') });
    expect(plain.requests).toEqual([]);
  });

  it('refuses a plain-HTTP Bearer realm for a TLS registry, before asking it for anything', async () => {
    const registry = await stub({ tls: true });
    const tokens = await stub({ address: '127.0.0.2' });
    registry.routes.set('GET /v2/', (_req, res) =>
      json(res, 401, {}, { 'www-authenticate': `Bearer realm="${tokens.origin}/token",service="stub"` }),
    );
    await expect(
      inspectCheckpointImage(`${registry.host}/evil/app:v1`, { caFile: pki.ca.certFile, env, ...user }),
    ).rejects.toMatchObject({
      code: 'remote',
      message: expect.stringContaining('is plain HTTP'),
      hint: expect.stringContaining('only over TLS'),
    });
    expect(tokens.requests).toEqual([]);
  });

  it('asks a plain-HTTP realm on another host anonymously when the registry is --insecure', async () => {
    const registry = await stub();
    const tokens = await stub({ address: '127.0.0.2' });
    registry.routes.set('GET /v2/', (_req, res) =>
      json(res, 401, {}, { 'www-authenticate': `Bearer realm="${tokens.origin}/token",service="stub"` }),
    );
    tokens.routes.set('GET /token', (_req, res) => json(res, 401, {}));
    await expect(
      inspectCheckpointImage(`${registry.host}/evil/app:v1`, { insecure: true, env, ...user }),
    ).rejects.toMatchObject({ code: 'auth' });
    expect(tokens.requests).toHaveLength(1);
    expect(tokens.requests[0]!.authorization).toBeUndefined();
  });

  it('sends credentials to a realm on another host over verified TLS', async () => {
    const registry = await stub({ tls: true });
    const tokens = await stub({ tls: true, address: '127.0.0.2' });
    registry.routes.set('GET /v2/', (req, res) =>
      req.headers.authorization === 'Bearer t0ken'
        ? json(res, 200, {})
        : json(res, 401, {}, { 'www-authenticate': `Bearer realm="${tokens.origin}/token",service="stub"` }),
    );
    tokens.routes.set('GET /token', (req, res) =>
      req.headers.authorization === basic ? json(res, 200, { token: 't0ken' }) : json(res, 401, {}),
    );
    await expect(
      inspectCheckpointImage(`${registry.host}/evil/app:v1`, { caFile: pki.ca.certFile, env, ...user }),
    ).rejects.toMatchObject({ code: 'not-found' });
    expect(tokens.requests.map((r) => r.authorization)).toEqual([basic]);
  });
});

describe('oversized and slow answers', () => {
  const layer = Buffer.alloc(1024, 7);

  async function pullInto(
    host: string,
    timeoutMs?: number,
  ): Promise<{ dir: string; pull: Promise<unknown> }> {
    const dir = await mkdtemp(join(work, 'pull-'));
    const pull = pullCheckpointImage(`${host}/evil/app:v1`, join(dir, 'out.tar'), {
      insecure: true,
      env,
      ...(timeoutMs ? { timeoutMs } : {}),
    });
    return { dir, pull };
  }

  it('refuses a layer whose Content-Length is past the declared size, before reading it', async () => {
    const registry = await stub();
    imageRegistry(registry, layer, (res) => {
      res.writeHead(200, { 'content-length': String(10 * 1024 ** 3) });
      trickle(res, Buffer.alloc(64 * 1024), 5);
    });
    const { dir, pull } = await pullInto(registry.host);
    await expect(pull).rejects.toMatchObject({
      code: 'integrity',
      message: expect.stringContaining('declares 1024'),
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it('cuts off a chunked layer at its declared size and writes nothing', async () => {
    const registry = await stub();
    let sent = 0;
    imageRegistry(registry, layer, (res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(256 * 1024, 7);
      const timer = setInterval(() => {
        res.write(chunk);
        sent += chunk.length;
      }, 2);
      res.on('close', () => clearInterval(timer));
    });
    const { dir, pull } = await pullInto(registry.host);
    await expect(pull).rejects.toMatchObject({
      code: 'integrity',
      message: expect.stringContaining('larger than the 1024 bytes its manifest declares'),
    });
    expect(await readdir(dir)).toEqual([]);
    expect(sent).toBeLessThan(64 * 1024 * 1024);
  });

  it('fails after --timeout when the registry never sends headers', async () => {
    const registry = await stub();
    registry.routes.set('GET /v2/', () => undefined);
    const started = Date.now();
    await expect(
      inspectCheckpointImage(`${registry.host}/evil/app:v1`, { insecure: true, env, timeoutMs: 1000 }),
    ).rejects.toMatchObject({
      code: 'timeout',
      hint: expect.stringContaining('--timeout'),
    });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('fails after --timeout when a manifest trickles in a byte at a time', async () => {
    const registry = await stub();
    registry.routes.set('GET /v2/', (_req, res) => json(res, 200, {}));
    registry.routes.set('GET /v2/evil/app/manifests/v1', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      trickle(res, Buffer.from(' '), 100);
    });
    const started = Date.now();
    await expect(
      inspectCheckpointImage(`${registry.host}/evil/app:v1`, { insecure: true, env, timeoutMs: 1000 }),
    ).rejects.toMatchObject({
      code: 'timeout',
    });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('fails a layer that trickles, and writes nothing', async () => {
    const registry = await stub();
    imageRegistry(registry, layer, (res) => {
      res.writeHead(200);
      trickle(res, Buffer.from([7]), 100);
    });
    const started = Date.now();
    const { dir, pull } = await pullInto(registry.host, 1000);
    await expect(pull).rejects.toMatchObject({
      code: 'timeout',
      message: expect.stringContaining('too slowly'),
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await readdir(dir)).toEqual([]);
  });
});
