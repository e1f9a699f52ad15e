/**
 * Registries that speak plain HTTP: allowed on loopback (as docker and podman do), and elsewhere
 * refused with an error that says so and names --insecure, instead of OpenSSL's wording.
 */
import { createServer, type Server } from 'node:http';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKcr } from '../testing/cli.js';
import { startRegistry, type TestRegistry } from '../testing/registry.js';
import { isLoopbackHost } from './registry-client.js';
import { join } from 'node:path';

const crioTar = join(
  import.meta.dirname,
  '../../test/fixtures/crio/checkpoint-webserver_default-webserver-2026-11-28T16:01:40Z.tar',
);
/** An address of this machine that is not loopback, where a plain-HTTP server can be reached. */
const external = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

let registry: TestRegistry;
let plain: Server;
let plainPort = 0;

beforeAll(async () => {
  registry = await startRegistry();
  plain = createServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((resolve) => plain.listen(0, '0.0.0.0', resolve));
  plainPort = (plain.address() as { port: number }).port;
});

afterAll(async () => {
  await registry?.stop();
  await new Promise((resolve) => plain?.close(resolve));
});

it.each([
  ['localhost:5000', true],
  ['127.0.0.1:5000', true],
  ['127.1.2.3', true],
  ['[::1]:5000', true],
  ['registry.example:5000', false],
  ['10.0.0.5:5000', false],
  ['128.0.0.1', false],
])('isLoopbackHost(%s) is %s', (host, loopback) => {
  expect(isLoopbackHost(host)).toBe(loopback);
});

describe('a plain-HTTP registry', () => {
  it('on loopback works without --insecure, as with docker', async () => {
    const ref = `${registry.host}/plain/web:v1`;
    const res = await runKcr(['image', 'build', crioTar, '-t', ref, '--push']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
  });

  it.skipIf(!external)('elsewhere is refused with an error that names --insecure', async () => {
    const host = `${external}:${plainPort}`;
    const res = await runKcr(['image', 'inspect', `${host}/plain/web:v1`]);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(
      `error: ${host}: the registry answered in plain HTTP, not HTTPS\n` +
        `hint: kcr speaks HTTPS unless told otherwise; if ${host} is meant to be a plain-HTTP registry, add --insecure (it applies to ${host} only)\n`,
    );
  });
});
