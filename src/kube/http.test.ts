import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest } from './http.js';

let server: http.Server;
let base = '';
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const size = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('size'));
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('x'.repeat(size));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const get = (size: number, maxBodyBytes?: number) =>
  httpRequest({
    method: 'GET',
    url: new URL(`${base}/pods?size=${size}`),
    options: {},
    timeoutMs: 10_000,
    ...(maxBodyBytes ? { maxBodyBytes } : {}),
  });

describe('httpRequest', () => {
  it('returns an answer up to the limit whole', async () => {
    const res = await get(6 * 1024 * 1024, 8 * 1024 * 1024);
    expect(res.body.length).toBe(6 * 1024 * 1024);
  });

  it('fails, naming the limit, instead of cutting a larger answer', async () => {
    await expect(get(2048, 1024)).rejects.toThrow(
      `GET ${base}/pods: the answer is larger than 1.00 KiB, kcr's limit for it`,
    );
    await expect(get(5 * 1024 * 1024)).rejects.toThrow('larger than 4.00 MiB');
  });
});
