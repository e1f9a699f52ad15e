/** The Bearer token flow against docker-registry configured for token auth, with a token server made in the test. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type TestRegistry } from '../testing/registry.js';
import { startTokenServer, type TokenServer } from '../testing/token-server.js';
import { inspectCheckpointImage } from './inspect.js';
import { publishCheckpointImage } from './publish.js';
import { pullCheckpointImage } from './pull.js';

const counterTar = join(import.meta.dirname, '../../test/fixtures/podman/busybox-counter.tar');
const user = { username: 'pusher', password: 's3cret' };
const env = { HOME: '/nonexistent', PATH: process.env.PATH };

let work: string;
let tokens: TokenServer;
let registry: TestRegistry;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kcr-bearer-test-'));
  tokens = await startTokenServer(work, user);
  registry = await startRegistry({ token: tokens });
});

afterAll(async () => {
  await registry?.stop();
  await tokens?.close();
  await rm(work, { recursive: true, force: true });
});

describe('Bearer token auth', () => {
  it('pushes with a token bought with Basic credentials, for pull and push on the repository', async () => {
    const ref = `${registry.host}/bearer/counter:v1`;
    const result = await publishCheckpointImage(counterTar, ref, { insecure: true, env, ...user });
    expect(result.digest).toMatch(/^sha256:/);
    expect(tokens.requests).toContainEqual({
      user: 'pusher',
      scopes: ['repository:bearer/counter:pull,push'],
    });
  });

  it('pulls anonymously with a pull-only token', async () => {
    const out = join(work, 'anon.tar');
    await pullCheckpointImage(`${registry.host}/bearer/counter:v1`, out, { insecure: true, env });
    expect((await readFile(out)).equals(await readFile(counterTar))).toBe(true);
    expect(tokens.requests.at(-1)).toEqual({ user: '', scopes: ['repository:bearer/counter:pull'] });
  });

  it('refuses an anonymous push: the token grants no push', async () => {
    await expect(
      publishCheckpointImage(counterTar, `${registry.host}/bearer/anon:v1`, { insecure: true, env }),
    ).rejects.toMatchObject({
      code: 'auth',
    });
  });

  it('reports wrong credentials from the token server as refused', async () => {
    await expect(
      inspectCheckpointImage(`${registry.host}/bearer/counter:v1`, {
        insecure: true,
        env,
        username: 'pusher',
        password: 'nope',
      }),
    ).rejects.toMatchObject({
      code: 'auth',
      message: expect.stringContaining('credentials refused for user pusher'),
    });
  });
});
