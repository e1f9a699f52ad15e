/** `kcr image build --encrypt-to` and `kcr image pull --identity` against the real registry. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKcr } from '../../testing/cli.js';
import { fixture } from '../../testing/fixtures.js';
import { startRegistry, type TestRegistry } from '../../testing/registry.js';

const archive = fixture('podman', 'busybox-counter.tar');
const key = (name: string) => fixture('keys', name);

let registry: TestRegistry;
let work: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), 'kcr-image-enc-'));
  env = {
    ...process.env,
    HOME: join(work, 'home'),
    KCR_IMAGE_STORE: join(work, 'store'),
    REGISTRY_AUTH_FILE: '',
  };
});
afterAll(async () => {
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

const kcr = (...args: string[]) => runKcr(args, { env });

describe('kcr image build --encrypt-to / pull --identity', () => {
  it('pushes an encrypted image that only the right key pulls back', async () => {
    const ref = `${registry.host}/checkpoints/secret:v1`;
    const built = await kcr(
      'image',
      'build',
      archive,
      '-t',
      ref,
      '--push',
      '--insecure',
      '--encrypt-to',
      key('ocicrypt-rsa.pub.pem'),
      '--encrypt-to',
      `jwe:${key('ocicrypt-ec.pub.pem')}`,
    );
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    expect(built.stdout).toContain('application/vnd.oci.image.layer.v1.tar+encrypted');

    const out = join(work, 'pulled.tar');
    const pulled = await kcr(
      'image',
      'pull',
      ref,
      '-o',
      out,
      '--insecure',
      '--identity',
      key('ocicrypt-ec.pem'),
    );
    expect(pulled.stderr).toBe('');
    expect(pulled.code).toBe(0);
    expect((await readFile(out)).equals(await readFile(archive))).toBe(true);

    const noKey = await kcr('image', 'pull', ref, '-o', join(work, 'no.tar'), '--insecure');
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toBe(
      `error: ${ref}: the image is encrypted\nhint: give the private key it was encrypted to with --identity KEY.pem\n`,
    );

    const wrong = await kcr(
      'image',
      'pull',
      ref,
      '-o',
      join(work, 'no.tar'),
      '--insecure',
      '--identity',
      key('ocicrypt-other.pem'),
    );
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^error: .*: none of the given keys can decrypt the image\nhint: /);
    await expect(readFile(join(work, 'no.tar'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses a recipient that is not a public key, and a key file that is missing', async () => {
    const privateAsRecipient = await kcr(
      'image',
      'build',
      archive,
      '--oci-layout',
      join(work, 'l'),
      '--encrypt-to',
      key('ocicrypt-rsa.pem'),
    );
    expect(privateAsRecipient.code).toBe(2);
    expect(privateAsRecipient.stderr).toMatch(
      /^error: .*ocicrypt-rsa.pem: is a private key; encrypt to the public key\nhint: /,
    );
    const missing = await kcr(
      'image',
      'build',
      archive,
      '--oci-layout',
      join(work, 'l'),
      '--encrypt-to',
      join(work, 'nope.pem'),
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.pem: no such key file');
  });
});
