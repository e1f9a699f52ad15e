/**
 * Servers that answer with the wrong thing: text that is not JSON, JSON of the wrong shape, or far
 * more bytes than a registry document holds. Each becomes a KcrError naming the server and the
 * document, never a TypeError or a raw parser message. A small stub registry plays the server.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectCheckpointImage, listImageTags } from './inspect.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let host: string;
const routes = new Map<string, Handler>();
const env = { HOME: '/nonexistent', PATH: process.env.PATH };

const json =
  (body: string, status = 200): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  };

beforeAll(async () => {
  server = createServer((req, res) => {
    const handler = routes.get(new URL(req.url ?? '/', 'http://stub').pathname);
    if (handler) handler(req, res);
    else
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"NAME_UNKNOWN"}]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  host = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function anonymousRegistry(): void {
  routes.clear();
  routes.set('/v2/', json('{}'));
}

describe('a tag list that is not one', () => {
  it('names the registry when the answer is not JSON', async () => {
    anonymousRegistry();
    routes.set('/v2/stub/app/tags/list', json('<html>login here</html>'));
    await expect(listImageTags(`${host}/stub/app`, { insecure: true, env })).rejects.toMatchObject({
      code: 'remote',
      message: expect.stringMatching(new RegExp(`^${host}: tag list is not valid JSON \\(`)),
      hint: expect.stringContaining('registry address'),
    });
  });

  it('refuses JSON without a list of tags', async () => {
    anonymousRegistry();
    routes.set('/v2/stub/app/tags/list', json('{"name":"stub/app","tags":"v1"}'));
    await expect(listImageTags(`${host}/stub/app`, { insecure: true, env })).rejects.toMatchObject({
      code: 'remote',
      message: `${host}/stub/app: tag list holds no list of tags`,
    });
  });

  it('takes an empty repository (tags: null) as no tags', async () => {
    anonymousRegistry();
    routes.set('/v2/stub/app/tags/list', json('{"name":"stub/app","tags":null}'));
    expect(await listImageTags(`${host}/stub/app`, { insecure: true, env })).toEqual([]);
  });
});

describe('a manifest that is not one', () => {
  const manifestPath = '/v2/stub/app/manifests/v1';

  it('refuses a manifest larger than 4 MiB by its Content-Length, before reading it', async () => {
    anonymousRegistry();
    routes.set(manifestPath, json(' '.repeat(5 * 1024 * 1024)));
    await expect(
      inspectCheckpointImage(`${host}/stub/app:v1`, { insecure: true, env }),
    ).rejects.toMatchObject({
      code: 'remote',
      message: `${host}: manifest v1 is larger than 4.00 MiB`,
    });
  });

  it('stops reading a manifest sent without a length once it passes 4 MiB', async () => {
    anonymousRegistry();
    let sent = 0;
    routes.set(manifestPath, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      const chunk = Buffer.alloc(256 * 1024, 0x20);
      // Endless, chunked: only the client's limit ends it.
      const pump = () => {
        let more = true;
        while (!res.destroyed && more) {
          more = res.write(chunk);
          sent += chunk.length;
        }
        if (!res.destroyed) res.once('drain', pump);
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    });
    await expect(
      inspectCheckpointImage(`${host}/stub/app:v1`, { insecure: true, env }),
    ).rejects.toMatchObject({
      code: 'remote',
      message: `${host}: manifest v1 is larger than 4.00 MiB`,
    });
    expect(sent).toBeGreaterThan(4 * 1024 * 1024);
  });

  it.each([
    ['null', 'not a JSON object'],
    ['{"schemaVersion":2,"config":{},"layers":[null]}', 'not an image manifest'],
    ['{"schemaVersion":2,"manifests":[null, 7]}', 'no image for'],
  ])('explains the manifest %s instead of failing on its shape', async (body, message) => {
    anonymousRegistry();
    routes.set(manifestPath, json(body));
    await expect(
      inspectCheckpointImage(`${host}/stub/app:v1`, { insecure: true, env }),
    ).rejects.toMatchObject({
      message: expect.stringContaining(message),
    });
  });
});

describe('a token server that answers something else', () => {
  function tokenRegistry(tokenBody: string): void {
    routes.clear();
    routes.set('/v2/', (_req, res) => {
      res
        .writeHead(401, {
          'www-authenticate': `Bearer realm="http://${host}/token",service="stub"`,
          'content-type': 'application/json',
        })
        .end('{"errors":[{"code":"UNAUTHORIZED"}]}');
    });
    routes.set('/token', json(tokenBody));
  }

  it('names the token server when its answer is not JSON', async () => {
    tokenRegistry('Service Unavailable');
    await expect(
      inspectCheckpointImage(`${host}/stub/app:v1`, { insecure: true, env }),
    ).rejects.toMatchObject({
      code: 'remote',
      message: expect.stringMatching(new RegExp(`^${host}: token response is not valid JSON \\(`)),
    });
  });

  it('refuses a challenge whose realm is not an http(s) URL', async () => {
    tokenRegistry('{}');
    routes.set('/v2/', (_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="token-server",service="stub"' }).end();
    });
    await expect(
      inspectCheckpointImage(`${host}/stub/app:v1`, { insecure: true, env }),
    ).rejects.toMatchObject({
      code: 'remote',
      message: `${host}: bearer challenge realm "token-server" is not an http(s) URL`,
    });
  });

  it.each(['null', '[]', '{"token":42}'])('says the answer %s holds no token', async (body) => {
    tokenRegistry(body);
    await expect(
      inspectCheckpointImage(`${host}/stub/app:v1`, { insecure: true, env }),
    ).rejects.toMatchObject({
      code: 'remote',
      message: `${host}: token response holds no token`,
    });
  });
});
