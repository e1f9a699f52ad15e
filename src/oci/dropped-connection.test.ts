/**
 * A registry (or token server) that drops the connection in the middle of an answer: each command
 * fails with a network error naming the registry and saying to try again, never an internal error.
 * The cuts come from a TCP proxy in front of a real docker-registry (and a real token server).
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKcr } from '../testing/cli.js';
import { startRegistry, type TestRegistry } from '../testing/registry.js';
import { startTcpProxy, type TcpProxy } from '../testing/tcp-proxy.js';
import { startTokenServer, type TokenServer } from '../testing/token-server.js';
import { inspectCheckpointImage, listImageTags } from './inspect.js';
import { publishCheckpointImage } from './publish.js';
import { pullCheckpointImage } from './pull.js';

const counterTar = join(import.meta.dirname, '../../test/fixtures/podman/busybox-counter.tar');
const env = { HOME: '/nonexistent', PATH: process.env.PATH };

let registry: TestRegistry;
let proxy: TcpProxy;
let work: string;
let configDigest: string;
let layerDigest: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kcr-dropped-test-'));
  registry = await startRegistry();
  const [host, port] = registry.host.split(':');
  proxy = await startTcpProxy(host!, Number(port));
  const pushed = await publishCheckpointImage(counterTar, `${registry.host}/dropped/counter:v1`, {
    insecure: true,
    env,
  });
  configDigest = pushed.manifest.config.digest;
  layerDigest = pushed.manifest.layers[0]!.digest;
});

afterAll(async () => {
  await proxy?.close();
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

/** What every dropped answer must look like to the user. */
function droppedBy(host: string) {
  return {
    code: 'network',
    message: expect.stringMatching(new RegExp(`^${host.replace(/\./g, '\\.')}: connection lost \\(`)),
    hint: expect.stringContaining('try again'),
  };
}

describe('a registry that drops the connection mid-answer', () => {
  it('fails a pull cut during the config blob with a network error, and writes nothing', async () => {
    const outDir = await mkdtemp(join(work, 'config-'));
    const before = proxy.cuts;
    proxy.armResponse(`GET /v2/dropped/counter/blobs/${configDigest}`, 10);
    await expect(
      pullCheckpointImage(`${proxy.host}/dropped/counter:v1`, join(outDir, 'out.tar'), {
        insecure: true,
        env,
      }),
    ).rejects.toMatchObject(droppedBy(proxy.host));
    expect(proxy.cuts).toBe(before + 1);
    expect(await readdir(outDir)).toEqual([]);
  });

  it('fails a pull cut in the middle of the layer with a network error, and writes nothing', async () => {
    const outDir = await mkdtemp(join(work, 'layer-'));
    const before = proxy.cuts;
    proxy.armResponse(`GET /v2/dropped/counter/blobs/${layerDigest}`, 100_000);
    await expect(
      pullCheckpointImage(`${proxy.host}/dropped/counter:v1`, join(outDir, 'out.tar'), {
        insecure: true,
        env,
      }),
    ).rejects.toMatchObject(droppedBy(proxy.host));
    expect(proxy.cuts).toBe(before + 1);
    expect(await readdir(outDir)).toEqual([]);
  });

  it('tells the CLI user the connection was lost, with a hint, and exits 2 (not an internal error)', async () => {
    const before = proxy.cuts;
    proxy.armResponse(`GET /v2/dropped/counter/blobs/${configDigest}`, 10);
    const res = await runKcr(
      [
        'image',
        'pull',
        `${proxy.host}/dropped/counter:v1`,
        '--output-file',
        join(work, 'cli.tar'),
        '--insecure',
      ],
      { env: { ...env, REGISTRY_AUTH_FILE: '' } },
    );
    expect(proxy.cuts).toBe(before + 1);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(
      new RegExp(`^error: ${proxy.host}: connection lost \\(.+\\)\\nhint: .*try again`),
    );
    expect(res.stderr).not.toContain('internal error');
  });

  it('fails an inspect cut during the manifest body with a network error', async () => {
    const before = proxy.cuts;
    proxy.armResponse('GET /v2/dropped/counter/manifests/v1', 10);
    await expect(
      inspectCheckpointImage(`${proxy.host}/dropped/counter:v1`, { insecure: true, env }),
    ).rejects.toMatchObject(droppedBy(proxy.host));
    expect(proxy.cuts).toBe(before + 1);
  });

  it('fails a tag listing cut during its JSON with a network error', async () => {
    const before = proxy.cuts;
    proxy.armResponse('GET /v2/dropped/counter/tags/list', 5);
    await expect(
      listImageTags(`${proxy.host}/dropped/counter`, { insecure: true, env }),
    ).rejects.toMatchObject(droppedBy(proxy.host));
    expect(proxy.cuts).toBe(before + 1);
  });

  it('still works through the same proxy once nothing is armed', async () => {
    expect(await listImageTags(`${proxy.host}/dropped/counter`, { insecure: true, env })).toEqual(['v1']);
  });
});

describe('a token server that drops the connection mid-answer', () => {
  let tokens: TokenServer;
  let tokenProxy: TcpProxy;
  let secured: TestRegistry;

  beforeAll(async () => {
    tokens = await startTokenServer(work, { username: 'u', password: 'p' });
    const realm = new URL(tokens.realm);
    tokenProxy = await startTcpProxy(realm.hostname, Number(realm.port));
    secured = await startRegistry({ token: { ...tokens, realm: `http://${tokenProxy.host}/token` } });
  });

  afterAll(async () => {
    await secured?.stop();
    await tokenProxy?.close();
    await tokens?.close();
  });

  it('fails with a network error naming the token server', async () => {
    tokenProxy.armResponse('GET /token', 5);
    await expect(
      inspectCheckpointImage(`${secured.host}/dropped/counter:v1`, { insecure: true, env }),
    ).rejects.toMatchObject(droppedBy(tokenProxy.host));
    expect(tokenProxy.cuts).toBe(1);
  });
});
