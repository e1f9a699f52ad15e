import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ageEncryption } from '../encryption/index.js';
import { backupArchive } from '../backup-archive.js';
import { readBackup, verifyBackupData } from '../read-backup.js';
import { newBackupId, toTombstone } from '../record.js';
import { tempDir } from '../../testing/archive-builder.js';
import { fixture } from '../../testing/fixtures.js';
import { startRegistry, type TestRegistry } from '../../testing/registry.js';
import { CRIO_ARCHIVE, storeContract, syntheticRecord } from '../../testing/store-contract.js';
import { startTcpProxy } from '../../testing/tcp-proxy.js';
import { tool } from '../../testing/tools.js';
import { parseOcicryptRecipient, publicKeyFingerprint } from '../../oci/index.js';
import { FileStore } from './file-store.js';
import { backupTag, OciStore, RECORD_ANNOTATION } from './oci-store.js';
import { openStore } from './open-store.js';

let registry: TestRegistry;
let n = 0;
const tmp = tempDir('kcr-oci-store-');
beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(async () => {
  await registry?.stop();
  tmp.cleanup();
});

// 20 MiB: more than one 16 MiB monolithic PUT, so puts go through chunked (resumable) uploads.
storeContract('oci:// (docker-registry)', {
  create: () => openStore(`oci://${registry.host}/contract-${++n}`),
  largeSize: 20 * 1024 * 1024,
});

async function manifest(repository: string, reference: string) {
  const res = await fetch(`http://${registry.host}/v2/${repository}/manifests/${reference}`, {
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('oci store', () => {
  it('keeps a backup as a checkpoint image under <namespace>.<pod>.<container>.<id>, record in the annotations', async () => {
    const store = new OciStore(`${registry.host}/backups-a`);
    const record = await backupArchive(store, CRIO_ARCHIVE);
    expect(backupTag(record)).toBe(`default.webserver.webserver.${record.id}`);
    const { body } = await manifest('backups-a', backupTag(record));
    const annotations = body.annotations as Record<string, string>;
    expect(JSON.parse(annotations[RECORD_ANNOTATION]!)).toEqual(record);
    // What CRI-O looks for, and the archive itself as the one uncompressed layer.
    expect(annotations['io.kubernetes.cri-o.annotations.checkpoint.name']).toBe('webserver');
    expect(body.layers).toEqual([
      expect.objectContaining({
        mediaType: 'application/vnd.oci.image.layer.v1.tar',
        digest: `sha256:${record.archive.sha256}`,
        size: record.archive.size,
      }),
    ]);
    const image = await store.checkpointImage(record);
    expect(image?.full).toMatch(new RegExp(`^${registry.host}/backups-a@sha256:[0-9a-f]{64}$`));
    // skopeo, a tool that is not kcr, sees a whole image with the archive as its layer.
    const out = tmp.path('skopeo');
    await tool('skopeo', ['copy', '--src-tls-verify=false', `docker://${image!.full}`, `dir:${out}`]);
    expect(readFileSync(`${out}/${record.archive.sha256}`).equals(readFileSync(CRIO_ARCHIVE))).toBe(true);
    await store.close();
  });

  it('keeps an encrypted backup as an artifact that restore reads back, never as a runnable image', async () => {
    const store = new OciStore(`${registry.host}/backups-b`);
    const recipient = readFileSync(fixture('keys', 'age-recipient.txt'), 'utf8').trim();
    const record = await backupArchive(store, CRIO_ARCHIVE, {
      encryption: { cipher: ageEncryption, recipients: [recipient] },
    });
    const { body } = await manifest('backups-b', backupTag(record));
    expect((body.config as { mediaType: string }).mediaType).toBe(
      'application/vnd.kcr.backup.config.v1+json',
    );
    expect(await store.checkpointImage(record)).toBeUndefined();
    const out = tmp.path('opened.tar');
    await readBackup(store, record.id, out, {
      decryption: {
        cipher: ageEncryption,
        identities: [readFileSync(fixture('keys', 'age-identity.txt'), 'utf8')],
      },
    });
    expect(readFileSync(out).equals(readFileSync(CRIO_ARCHIVE))).toBe(true);
    await store.close();
  });

  it('keeps a backup encrypted to a PEM key as an ocicrypt checkpoint image that skopeo opens', async () => {
    const store = new OciStore(`${registry.host}/backups-secure`);
    const pub = parseOcicryptRecipient(readFileSync(fixture('keys', 'ocicrypt-rsa.pub.pem'), 'utf8'));
    const record = await backupArchive(store, CRIO_ARCHIVE, { ocicryptTo: [pub] });
    expect(record.encryption).toEqual({ format: 'ocicrypt', recipients: [publicKeyFingerprint(pub)] });
    const { body } = await manifest('backups-secure', backupTag(record));
    const [layer] = body.layers as {
      mediaType: string;
      digest: string;
      annotations: Record<string, string>;
    }[];
    expect(layer!.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+encrypted');
    expect(layer!.annotations['org.opencontainers.image.enc.keys.jwe']).toBeTruthy();
    expect(layer!.digest).toBe(`sha256:${record.data.sha256}`);
    expect((body.annotations as Record<string, string>)[RECORD_ANNOTATION]).toBe(JSON.stringify(record));
    // The stored bytes are the ciphertext the record names; a reader outside kcr opens them.
    expect(await verifyBackupData(store, record.id)).toEqual({ id: record.id, ok: true });
    const image = (await store.checkpointImage(record))!;
    const out = tmp.path('skopeo-secure');
    await tool('skopeo', [
      'copy',
      '--src-tls-verify=false',
      '--decryption-key',
      fixture('keys', 'ocicrypt-rsa.pem'),
      `docker://${image.full}`,
      `dir:${out}`,
    ]);
    expect(readFileSync(`${out}/${record.archive.sha256}`).equals(readFileSync(CRIO_ARCHIVE))).toBe(true);
    await expect(readBackup(store, record.id, tmp.path('no.tar'))).rejects.toMatchObject({
      code: 'usage',
      hint: expect.stringContaining('--identity'),
    });
    await store.close();
  });

  it('refuses ocicrypt keys for a store that keeps no images, before reading anything', async () => {
    const pub = parseOcicryptRecipient(readFileSync(fixture('keys', 'ocicrypt-ec.pub.pem'), 'utf8'));
    const store = new FileStore(tmp.path('file-store'));
    await expect(backupArchive(store, CRIO_ARCHIVE, { ocicryptTo: [pub] })).rejects.toMatchObject({
      code: 'usage',
      message: expect.stringContaining('ocicrypt images: they are for oci:// stores'),
    });
    expect(await store.list()).toEqual([]);
  });

  it('replaces a removed backup by a tombstone under its tag and deletes the old manifest', async () => {
    const store = new OciStore(`${registry.host}/backups-c`);
    const record = await backupArchive(store, CRIO_ARCHIVE);
    const before = await fetch(`http://${registry.host}/v2/backups-c/manifests/${backupTag(record)}`, {
      method: 'HEAD',
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    const oldDigest = before.headers.get('docker-content-digest')!;
    await store.remove(toTombstone(record, 'test'));
    const { body } = await manifest('backups-c', backupTag(record));
    expect(body.layers).toEqual([]);
    expect((await manifest('backups-c', oldDigest)).status).toBe(404);
    expect(await store.list()).toEqual([expect.objectContaining({ kind: 'Tombstone', id: record.id })]);
    await store.close();
  });

  it('resumes a data upload cut mid-way, and lists nothing when the tag push is cut', async () => {
    const proxy = await startTcpProxy('127.0.0.1', Number(registry.host.split(':')[1]));
    try {
      const store = new OciStore(`${proxy.host}/backups-d`);
      const size = 20 * 1024 * 1024;
      const put = (fill: number) => {
        const id = newBackupId();
        return store.put(id, Readable.from([Buffer.alloc(size, fill)]), (w) => syntheticRecord(id, w));
      };
      proxy.arm(5 * 1024 * 1024);
      const resumed = await put(1);
      expect(proxy.cuts).toBe(1);
      expect(await verifyBackupData(store, resumed.id)).toEqual({ id: resumed.id, ok: true });

      // In a fresh repository a put PUTs the data, the config, then the manifest under its tag.
      const fresh = new OciStore(`${proxy.host}/backups-e`);
      proxy.armAtRequest('PUT', 3);
      const id = newBackupId();
      await expect(
        fresh.put(id, Readable.from([Buffer.alloc(1024, 3)]), (w) => syntheticRecord(id, w)),
      ).rejects.toMatchObject({ code: 'network' });
      expect(proxy.cuts).toBe(2);
      expect(await fresh.list()).toEqual([]);
      await Promise.all([store.close(), fresh.close()]);
    } finally {
      await proxy.close();
    }
  });

  it('lists nothing in a repository that does not exist yet, and names an unreachable registry', async () => {
    const empty = new OciStore(`${registry.host}/never-pushed`);
    expect(await empty.list()).toEqual([]);
    await empty.close();
    const gone = new OciStore('127.0.0.1:9/backups');
    await expect(gone.list()).rejects.toMatchObject({ code: 'network' });
    await gone.close();
  });
});
