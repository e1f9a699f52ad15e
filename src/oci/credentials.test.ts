import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChallenge } from './auth.js';
import { resolveCredentials } from './credentials.js';

describe('parseChallenge', () => {
  it('reads a Bearer challenge with quoted parameters, commas inside quotes kept', () => {
    const c = parseChallenge(
      'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"',
    );
    expect(c).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example/token',
        service: 'registry.example',
        scope: 'repository:a/b:pull,push',
      },
    });
  });

  it('reads a Basic challenge and ignores unknown schemes', () => {
    expect(parseChallenge('Basic realm="kcr-test"')).toEqual({
      scheme: 'basic',
      params: { realm: 'kcr-test' },
    });
    expect(parseChallenge('Negotiate abc')).toBeUndefined();
  });
});

describe('resolveCredentials', () => {
  let dir: string;
  const auth = (user: string, pass: string) => Buffer.from(`${user}:${pass}`).toString('base64');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kcr-creds-'));
    // A real credential helper, speaking the docker-credential protocol on stdin/stdout.
    await writeFile(
      join(dir, 'docker-credential-kcrtest'),
      '#!/bin/sh\nread server\nif [ "$1" = get ] && [ "$server" = "helped.example" ]; then echo \'{"Username":"helper-user","Secret":"helper-pass"}\'; exit 0; fi\necho "credentials not found in native keychain"; exit 1\n',
    );
    await chmod(join(dir, 'docker-credential-kcrtest'), 0o755);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('takes auths from ~/.docker/config.json, keyed by host or by URL', async () => {
    const home = join(dir, 'home');
    await mkdir(join(home, '.docker'), { recursive: true });
    await writeFile(
      join(home, '.docker', 'config.json'),
      JSON.stringify({
        auths: {
          'a.example': { auth: auth('alice', 'pw:with:colons') },
          'https://b.example': { auth: auth('bob', 'x') },
        },
      }),
    );
    const env = { HOME: home, PATH: process.env.PATH };
    expect(await resolveCredentials('a.example', { env })).toMatchObject({
      username: 'alice',
      password: 'pw:with:colons',
    });
    expect(await resolveCredentials('b.example', { env })).toMatchObject({ username: 'bob', password: 'x' });
    expect(await resolveCredentials('c.example', { env })).toBeUndefined();
  });

  it('runs docker-credential helpers from credHelpers and credsStore', async () => {
    const file = join(dir, 'helpers.json');
    await writeFile(
      file,
      JSON.stringify({ credHelpers: { 'helped.example': 'kcrtest' }, credsStore: 'kcrtest' }),
    );
    const env = { REGISTRY_AUTH_FILE: file, PATH: `${dir}:${process.env.PATH}`, HOME: join(dir, 'nohome') };
    expect(await resolveCredentials('helped.example', { env })).toEqual({
      username: 'helper-user',
      password: 'helper-pass',
      source: 'docker-credential-kcrtest',
    });
    // The store has nothing for this host: the helper says "not found", which means anonymous.
    expect(await resolveCredentials('other.example', { env })).toBeUndefined();
  });

  it('prefers --username/--password over any file, and --authfile over REGISTRY_AUTH_FILE', async () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    await writeFile(a, JSON.stringify({ auths: { 'r.example': { auth: auth('from-a', '1') } } }));
    await writeFile(b, JSON.stringify({ auths: { 'r.example': { auth: auth('from-b', '2') } } }));
    const env = { REGISTRY_AUTH_FILE: a, HOME: join(dir, 'nohome') };
    expect(await resolveCredentials('r.example', { env })).toMatchObject({ username: 'from-a' });
    expect(await resolveCredentials('r.example', { env, authFile: b })).toMatchObject({ username: 'from-b' });
    expect(await resolveCredentials('r.example', { env, username: 'u', password: 'p' })).toMatchObject({
      username: 'u',
      password: 'p',
    });
  });

  it('refuses an auth file that is JSON but not an object, naming the file', async () => {
    const file = join(dir, 'null.json');
    await writeFile(file, 'null');
    await expect(resolveCredentials('r.example', { authFile: file })).rejects.toMatchObject({
      code: 'invalid-input',
      message: `${file}: not a JSON object`,
    });
  });

  it('skips auth entries of the wrong shape instead of failing on them', async () => {
    const file = join(dir, 'odd.json');
    await writeFile(
      file,
      JSON.stringify({
        auths: { 'r.example': { auth: 5 }, 'https://r.example': null },
        credHelpers: { 'r.example': 7 },
      }),
    );
    expect(
      await resolveCredentials('r.example', { authFile: file, env: { HOME: join(dir, 'nohome') } }),
    ).toBe(undefined);
  });

  it('turns a helper that exits without reading stdin into one error naming it, never an EPIPE crash', async () => {
    const bin = join(dir, 'bin-deaf');
    await mkdir(bin, { recursive: true });
    // Closes stdin at once and fails: kcr's write of the server name may then meet a closed pipe.
    await writeFile(join(bin, 'docker-credential-deaf'), '#!/bin/sh\nexec 0<&-\nexit 1\n');
    await chmod(join(bin, 'docker-credential-deaf'), 0o755);
    const file = join(dir, 'deaf.json');
    await writeFile(file, JSON.stringify({ credsStore: 'deaf' }));
    const env = { PATH: `${bin}:${process.env.PATH}` };
    // Many at once, so that some writes do land after the helper has gone (the race a loaded CI hits).
    const runs = await Promise.allSettled(
      Array.from({ length: 16 }, () => resolveCredentials('r.example', { authFile: file, env })),
    );
    for (const run of runs) {
      expect(run.status).toBe('rejected');
      expect((run as PromiseRejectedResult).reason).toMatchObject({
        code: 'auth',
        message: 'docker-credential-deaf: failed for r.example (exit 1)',
        hint: expect.stringContaining('docker-credential-deaf get'),
      });
    }
  });

  it('names a credential helper that prints something other than JSON', async () => {
    const bin = join(dir, 'bin-garbage');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'docker-credential-garbage'), '#!/bin/sh\necho "Username: alice"\n');
    await chmod(join(bin, 'docker-credential-garbage'), 0o755);
    const file = join(dir, 'garbage.json');
    await writeFile(file, JSON.stringify({ credsStore: 'garbage' }));
    await expect(
      resolveCredentials('r.example', { authFile: file, env: { PATH: `${bin}:${process.env.PATH}` } }),
    ).rejects.toMatchObject({
      code: 'invalid-input',
      message: expect.stringMatching(
        /^docker-credential-garbage: printed something other than JSON for r\.example \(/,
      ),
    });
  });
});
