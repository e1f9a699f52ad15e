/** The image commands against a registry with htpasswd auth and TLS from a CA made for the test. */
import { mkdir, mkdtemp, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKcr } from '../../testing/cli.js';
import { startRegistry, type TestRegistry } from '../../testing/registry.js';
import { tool } from '../../testing/tools.js';

const fixtures = join(import.meta.dirname, '../../../test/fixtures');
const counterTar = join(fixtures, 'podman/busybox-counter.tar');

let registry: TestRegistry;
let work: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  registry = await startRegistry({ tls: true, auth: { username: 'kcr', password: 'correct horse' } });
  work = await mkdtemp(join(tmpdir(), 'kcr-secure-test-'));
  env = {
    ...process.env,
    HOME: join(work, 'home'),
    KCR_IMAGE_STORE: join(work, 'store'),
    REGISTRY_AUTH_FILE: '',
    DOCKER_CONFIG: '',
  };
});

afterAll(async () => {
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

const ref = () => `${registry.host}/secure/counter:v1`;

describe('a registry with htpasswd and TLS', () => {
  it('takes a push with --username, --password-stdin and --ca-file, and skopeo sees the annotations', async () => {
    const res = await runKcr(
      [
        'image',
        'build',
        counterTar,
        '-t',
        ref(),
        '--push',
        '--username',
        'kcr',
        '--password-stdin',
        '--ca-file',
        registry.ca!.caCert,
      ],
      {
        env,
        stdin: 'correct horse\n',
      },
    );
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const certDir = join(work, 'certs');
    await mkdir(certDir, { recursive: true });
    await copyFile(registry.ca!.caCert, join(certDir, 'ca.crt'));
    const raw = JSON.parse(
      await tool('skopeo', [
        'inspect',
        '--raw',
        '--cert-dir',
        certDir,
        '--creds',
        'kcr:correct horse',
        `docker://${ref()}`,
      ]),
    ) as {
      annotations: Record<string, string>;
    };
    expect(raw.annotations['io.kubernetes.cri-o.annotations.checkpoint.name']).toBe('counter');
  });

  it('refuses wrong credentials with exit 2 and says whose they were', async () => {
    const res = await runKcr(
      ['image', 'inspect', ref(), '--username', 'kcr', '--password-stdin', '--ca-file', registry.ca!.caCert],
      { env, stdin: 'wrong' },
    );
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`error: ${registry.host}: credentials refused for user kcr`);
    expect(res.stderr).toMatch(/^hint: /m);
  });

  it('says authentication is required when there are no credentials at all', async () => {
    const res = await runKcr(['image', 'inspect', ref(), '--ca-file', registry.ca!.caCert], { env });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`error: ${registry.host}: authentication required`);
  });

  it('refuses a certificate from an unknown CA without --ca-file, with exit 2 and a hint', async () => {
    const res = await runKcr(['image', 'inspect', ref(), '--username', 'kcr', '--password-stdin'], {
      env,
      stdin: 'correct horse',
    });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(
      new RegExp(`^error: ${registry.host.replace(/\./g, '\\.')}: TLS certificate not trusted`, 'm'),
    );
    expect(res.stderr).toContain('--ca-file');
  });

  it('accepts the unverified certificate with --insecure', async () => {
    const res = await runKcr(
      ['image', 'inspect', ref(), '--insecure', '--username', 'kcr', '--password-stdin', '-o', 'json'],
      { env, stdin: 'correct horse' },
    );
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ container: 'counter' });
  });

  it('finds credentials in the auth file named by REGISTRY_AUTH_FILE', async () => {
    const file = join(work, 'auth.json');
    await writeFile(
      file,
      JSON.stringify({
        auths: { [registry.host]: { auth: Buffer.from('kcr:correct horse').toString('base64') } },
      }),
    );
    const out = join(work, 'pulled.tar');
    const res = await runKcr(
      ['image', 'pull', ref(), '--output-file', out, '--ca-file', registry.ca!.caCert],
      {
        env: { ...env, REGISTRY_AUTH_FILE: file },
      },
    );
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect((await readFile(out)).equals(await readFile(counterTar))).toBe(true);
  });

  it('finds credentials in ~/.docker/config.json', async () => {
    const home = join(work, 'docker-home');
    await mkdir(join(home, '.docker'), { recursive: true });
    await writeFile(
      join(home, '.docker', 'config.json'),
      JSON.stringify({
        auths: {
          [`https://${registry.host}`]: { auth: Buffer.from('kcr:correct horse').toString('base64') },
        },
      }),
    );
    const res = await runKcr(['image', 'inspect', ref(), '--ca-file', registry.ca!.caCert], {
      env: { ...env, HOME: home },
    });
    expect(res.code).toBe(0);
  });
});
