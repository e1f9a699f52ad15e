import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { backupArchive } from '../backup-archive.js';
import { newBackupId } from '../record.js';
import { FileStore } from './file-store.js';
import type { WrittenData } from './store.js';
import { CRIO_ARCHIVE, storeContract, syntheticRecord } from '../../testing/store-contract.js';
import { openStore } from './open-store.js';

const roots: string[] = [];
async function freshRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'kcr-file-store-'));
  roots.push(root);
  return root;
}
afterAll(async () => {
  await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
});

storeContract('file://', { create: async () => openStore(`file://${join(await freshRoot(), 'store')}`) });

describe('file store', () => {
  it('keeps data and record 0600 in one directory per backup, and no leftovers after a failed put', async () => {
    const root = await freshRoot();
    const store = new FileStore(root);
    const record = await backupArchive(store, CRIO_ARCHIVE);
    const { stat } = await import('node:fs/promises');
    expect((await stat(join(root, 'backups', record.id, 'data'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(root, 'backups', record.id, 'record.json'))).mode & 0o777).toBe(0o600);
    const id = newBackupId();
    await expect(
      store.put(id, Readable.from([Buffer.alloc(10)]), () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await readdir(join(root, 'incoming'))).toEqual([]);
  });

  it('copies a local file in the kernel and hashes the copy: byte-exact, 0600, progress to the end', async () => {
    const root = await freshRoot();
    const source = join(root, 'archive.tar');
    // Several hash blocks and a ragged end, world-readable like a file the user copied in.
    const bytes = randomBytes(9 * 1024 * 1024 + 12_345);
    await writeFile(source, bytes, { mode: 0o644 });
    const store = new FileStore(join(root, 'store'));
    const id = newBackupId();
    const progress: number[] = [];
    const unread = Readable.from([Buffer.from('not these bytes')]);
    let written: WrittenData | undefined;
    await store.put(
      id,
      unread,
      (w) => {
        written = w;
        return syntheticRecord(id, w);
      },
      { sourceFile: source, onBytes: (n) => progress.push(n) },
    );
    expect(written).toEqual({ size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    const data = join(root, 'store', 'backups', id, 'data');
    expect((await readFile(data)).equals(bytes)).toBe(true);
    expect((await stat(data)).mode & 0o777).toBe(0o600);
    expect(progress.at(-1)).toBe(bytes.length);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(unread.destroyed).toBe(true);
  });

  it('stores nothing when the local file to copy cannot be read', async () => {
    const root = await freshRoot();
    const store = new FileStore(root);
    const id = newBackupId();
    await expect(
      store.put(id, Readable.from([]), (w) => syntheticRecord(id, w), { sourceFile: join(root, 'gone.tar') }),
    ).rejects.toThrow(/gone\.tar|ENOENT|no such file/i);
    expect(await readdir(join(root, 'incoming'))).toEqual([]);
    expect(await store.list()).toEqual([]);
  });

  it('names a record that does not parse, with a hint', async () => {
    const root = await freshRoot();
    const id = newBackupId();
    await mkdir(join(root, 'backups', id), { recursive: true });
    await writeFile(
      join(root, 'backups', id, 'record.json'),
      '{"apiVersion":"kcr.dev/v1","kind":"Backup","id":"x"}',
    );
    const err = await new FileStore(root).list().catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'invalid-input',
      message: expect.stringContaining(`${id}/record.json: not a backup record`),
    });
    expect((err as { hint: string }).hint).toMatch(/damaged or foreign record/);
  });

  it('refuses a put over an existing backup id', async () => {
    const store = new FileStore(await freshRoot());
    const id = newBackupId();
    await store.put(id, Readable.from([Buffer.from('a')]), (w) => syntheticRecord(id, w));
    await expect(
      store.put(id, Readable.from([Buffer.from('b')]), (w) => syntheticRecord(id, w)),
    ).rejects.toMatchObject({
      code: 'conflict',
    });
  });

  it('refuses a store path that is a file', async () => {
    const root = await freshRoot();
    await writeFile(join(root, 'plain'), 'x');
    await expect(new FileStore(join(root, 'plain')).list()).rejects.toMatchObject({
      code: 'invalid-input',
      message: expect.stringContaining('not a directory'),
    });
  });
});
