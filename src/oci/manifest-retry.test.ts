/**
 * distribution answers a manifest PUT with 400 DIGEST_INVALID while another push re-links a blob
 * the manifest names (two backups share the `{}` config): the link file reads empty for a moment.
 * kcr retries that one answer a few times, and still fails plainly when it persists. A small stub
 * registry plays the server, so the race is reproduced exactly.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Digest } from './digest.js';
import { RegistryClient } from './registry-client.js';

let server: Server;
let host: string;
let refusals = 0;
let puts = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/v2/') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    if (req.method === 'PUT' && req.url?.startsWith('/v2/race/manifests/')) {
      req.resume();
      req.on('end', () => {
        puts++;
        if (puts <= refusals)
          return void res
            .writeHead(400, { 'content-type': 'application/json' })
            .end(
              '{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]}',
            );
        res.writeHead(201, { 'docker-content-digest': sha256Digest(Buffer.from('{"m":1}')) }).end();
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  host = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function put(refuse: number): Promise<string> {
  refusals = refuse;
  puts = 0;
  const client = await RegistryClient.connect(host, 'race', 'push', { insecure: true });
  try {
    return await client.putManifest(
      't1',
      Buffer.from('{"m":1}'),
      'application/vnd.oci.image.manifest.v1+json',
    );
  } finally {
    await client.close();
  }
}

describe('a manifest PUT refused with DIGEST_INVALID', () => {
  it('is sent again while the registry finishes linking a shared blob, and succeeds', async () => {
    expect(await put(2)).toBe(sha256Digest(Buffer.from('{"m":1}')));
    expect(puts).toBe(3);
  });

  it('fails naming the manifest and the registry’s answer when the refusal persists', async () => {
    await expect(put(100)).rejects.toMatchObject({
      code: 'remote',
      message: expect.stringContaining('manifest t1: registry answered 400 (digest_invalid'),
    });
    expect(puts).toBe(5);
  });
});
