/**
 * Encrypted checkpoint images against the real registry, checked both ways with skopeo (containers/
 * ocicrypt, what CRI-O and Podman decrypt with): skopeo opens what kcr encrypted, and kcr opens
 * what skopeo encrypted.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KcrError } from '../errors.js';
import { fixture } from '../testing/fixtures.js';
import { startRegistry, type TestRegistry } from '../testing/registry.js';
import { tool } from '../testing/tools.js';
import { ANNOTATIONS } from './annotations.js';
import { buildCheckpointImage, imageBlobs } from './build.js';
import { writeOciLayout } from './layout.js';
import { MEDIA_TYPES, type OciManifest } from './media-types.js';
import {
  OCICRYPT_ANNOTATIONS,
  parseOcicryptIdentity,
  parseOcicryptRecipient,
  publicKeyFingerprint,
} from './ocicrypt.js';
import { pullCheckpointImage } from './pull.js';
import { pushImage } from './push.js';
import { parseReference } from './reference.js';

const archive = fixture('podman', 'busybox-counter.tar');
const keyFile = (name: string) => fixture('keys', name);
const keyText = (name: string) => readFile(keyFile(name), 'utf8');
const recipient = async (name: string) => parseOcicryptRecipient(await keyText(name), name);
const identity = async (name: string) => parseOcicryptIdentity(await keyText(name), name);

let registry: TestRegistry;
let work: string;

beforeAll(async () => {
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), 'kcr-ocicrypt-'));
});
afterAll(async () => {
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

async function pushEncrypted(
  tag: string,
  recipients: string[],
): Promise<{ ref: string; manifest: OciManifest }> {
  const image = await buildCheckpointImage(archive, {
    encryptTo: await Promise.all(recipients.map(recipient)),
  });
  try {
    const ref = `${registry.host}/checkpoints/encrypted:${tag}`;
    const pushed = await pushImage(
      { manifest: image.manifest, manifestBytes: image.manifestBytes, blobs: imageBlobs(image) },
      parseReference(ref),
      { insecure: true },
    );
    return { ref, manifest: pushed.manifest };
  } finally {
    await image.dispose();
  }
}

/** The one layer of the image skopeo wrote to an OCI layout, uncompressed. */
async function layoutLayer(dir: string): Promise<{ mediaType: string; tar: Buffer }> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as {
    manifests: { digest: string }[];
  };
  const manifest = JSON.parse(
    await readFile(join(dir, 'blobs/sha256', index.manifests[0]!.digest.slice(7)), 'utf8'),
  ) as OciManifest;
  const layer = manifest.layers[0]!;
  const blob = await readFile(join(dir, 'blobs/sha256', layer.digest.slice(7)));
  return { mediaType: layer.mediaType, tar: layer.mediaType.includes('+gzip') ? gunzipSync(blob) : blob };
}

describe('ocicrypt images', () => {
  it('kcr encrypts the layer only: +encrypted media type, JWE keys, readable checkpoint annotations', async () => {
    const { manifest } = await pushEncrypted('layout', ['ocicrypt-rsa.pub.pem', 'ocicrypt-ec.pub.pem']);
    const [layer] = manifest.layers;
    const plain = await readFile(archive);
    expect(layer!.mediaType).toBe(`${MEDIA_TYPES.ociLayerTar}+encrypted`);
    expect(layer!.size).toBe(plain.length); // CTR mode: the ciphertext is as long as the archive
    const jwe = JSON.parse(
      Buffer.from(layer!.annotations![OCICRYPT_ANNOTATIONS.jwe]!, 'base64').toString(),
    ) as {
      protected: string;
      recipients: { header: { alg: string } }[];
    };
    expect(JSON.parse(Buffer.from(jwe.protected, 'base64url').toString())).toEqual({ enc: 'A256GCM' });
    expect(jwe.recipients.map((r) => r.header.alg)).toEqual(['RSA-OAEP', 'ECDH-ES+A256KW']);
    const pubopts = JSON.parse(
      Buffer.from(layer!.annotations![OCICRYPT_ANNOTATIONS.pubopts]!, 'base64').toString(),
    );
    expect(pubopts).toMatchObject({ cipher: 'AES_256_CTR_HMAC_SHA256' });
    expect(manifest.annotations![ANNOTATIONS.crioName]).toBe('counter');
    const blob = await readFile(registry.blobFile(layer!.digest));
    expect(blob.includes(plain.subarray(0, 512))).toBe(false);
    expect(blob.includes(Buffer.from('checkpoint/pages-1.img'))).toBe(false);
  });

  it.each(['ocicrypt-rsa.pem', 'ocicrypt-ec.pem'])(
    'skopeo copy --decryption-key %s opens an image kcr encrypted',
    async (key) => {
      const { ref } = await pushEncrypted(key.replace(/\W/g, '-'), [
        'ocicrypt-rsa.pub.pem',
        'ocicrypt-ec.pub.pem',
      ]);
      const dir = join(work, `skopeo-${key}`);
      await tool('skopeo', [
        'copy',
        '--src-tls-verify=false',
        '--decryption-key',
        keyFile(key),
        `docker://${ref}`,
        `oci:${dir}:v1`,
      ]);
      const { mediaType, tar } = await layoutLayer(dir);
      expect(mediaType.endsWith('+encrypted')).toBe(false);
      expect(tar.equals(await readFile(archive))).toBe(true);
    },
  );

  it.each([
    ['ocicrypt-rsa.pub.pem', 'ocicrypt-rsa.pem'],
    ['ocicrypt-ec.pub.pem', 'ocicrypt-ec.pem'],
  ])('kcr opens an image that skopeo copy --encryption-key jwe:%s encrypted', async (pub, priv) => {
    const image = await buildCheckpointImage(archive);
    const layout = join(work, `plain-${pub}`);
    try {
      await writeOciLayout(image, layout, { refName: 'latest' });
    } finally {
      await image.dispose();
    }
    const ref = `${registry.host}/checkpoints/by-skopeo:${priv.replace(/\W/g, '-')}`;
    await tool('skopeo', [
      'copy',
      '--dest-tls-verify=false',
      '--encryption-key',
      `jwe:${keyFile(pub)}`,
      `oci:${layout}:latest`,
      `docker://${ref}`,
    ]);
    const out = join(work, `from-skopeo-${priv}.tar`);
    const pulled = await pullCheckpointImage(ref, out, {
      insecure: true,
      identities: [await identity('ocicrypt-other.pem'), await identity(priv)],
    });
    expect(pulled.layer.mediaType).toMatch(/\+encrypted$/);
    expect(pulled.verified).toEqual({ layer: true, diffId: true, annotation: true });
    expect((await readFile(out)).equals(await readFile(archive))).toBe(true);
  });

  it('kcr round-trips its own encrypted image, and refuses a missing, a wrong key and a tampered layer', async () => {
    const { ref, manifest } = await pushEncrypted('roundtrip', ['ocicrypt-ec.pub.pem']);
    const out = join(work, 'roundtrip.tar');
    await pullCheckpointImage(ref, out, { insecure: true, identities: [await identity('ocicrypt-ec.pem')] });
    expect((await readFile(out)).equals(await readFile(archive))).toBe(true);

    const failure = async (identities: Awaited<ReturnType<typeof identity>>[]) => {
      const err = await pullCheckpointImage(ref, join(work, 'never.tar'), {
        insecure: true,
        identities,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KcrError);
      return err as KcrError;
    };
    const missing = await failure([]);
    expect([missing.code, missing.message]).toEqual(['auth', `${ref}: the image is encrypted`]);
    expect(missing.hint).toMatch(/--identity/);
    const wrong = await failure([await identity('ocicrypt-rsa.pem')]);
    expect([wrong.code, wrong.message]).toEqual([
      'auth',
      `${ref}: none of the given keys can decrypt the image`,
    ]);

    const blobFile = registry.blobFile(manifest.layers[0]!.digest);
    const blob = await readFile(blobFile);
    blob[1000]! ^= 1;
    await writeFile(blobFile, blob);
    const tampered = await failure([await identity('ocicrypt-ec.pem')]);
    expect(tampered.code).toBe('integrity');
    await expect(readFile(join(work, 'never.tar'))).rejects.toThrow(/ENOENT/);
  });

  it('names a recipient by the sha256 of its public key, as openssl prints it, from either half', async () => {
    const der = join(work, 'ec.pub.der');
    await tool('openssl', [
      'pkey',
      '-pubin',
      '-in',
      keyFile('ocicrypt-ec.pub.pem'),
      '-outform',
      'DER',
      '-out',
      der,
    ]);
    const expected =
      'sha256:' +
      createHash('sha256')
        .update(await readFile(der))
        .digest('hex');
    expect(publicKeyFingerprint(await recipient('ocicrypt-ec.pub.pem'))).toBe(expected);
    expect(publicKeyFingerprint(await identity('ocicrypt-ec.pem'))).toBe(expected);
  });

  it('refuses keys it cannot use, naming them', async () => {
    expect(() => parseOcicryptRecipient('not a key', 'pub.pem')).toThrow(/pub.pem: not a public key/);
    expect(() => parseOcicryptIdentity('not a key', 'priv.pem')).toThrow(
      /priv.pem: not a usable private key/,
    );
    expect(() => parseOcicryptRecipient('{"n": 5}', 'key.jwk')).toThrow(
      /key.jwk: not a public key: not a JSON Web Key: "kty"/,
    );
    const ed = await keyText('ssh-ed25519.pub');
    expect(() => parseOcicryptRecipient(ed, 'id_ed25519.pub')).toThrow(KcrError);
  });
});
