/**
 * `file:///path`: a directory of backups, one directory each.
 *
 *   backups/<id>/data          the stored bytes (0600)
 *   backups/<id>/record.json   the record, or the tombstone of a pruned backup
 *   incoming/<id>.<random>/    a put in progress; renamed into backups/ as a whole when complete
 *
 * A put is committed by one rename of its directory, so a backup appears with its data and record
 * together or not at all, and a crash leaves only an `incoming/` directory that nothing lists.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants, createReadStream, createWriteStream } from 'node:fs';
import { chmod, copyFile, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { errnoCode, KcrError } from '../../errors.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { DigestStream } from '../../util/digest-stream.js';
import { fileBlocks } from '../../util/file-blocks.js';
import {
  BACKUP_ID_PATTERN,
  parseStoreEntry,
  serializeEntry,
  type BackupRecord,
  type StoreEntry,
  type Tombstone,
} from '../record.js';
import { backupNotFound, dataMissing, recordMisplaced, storeWriteError } from './store-errors.js';
import type { PutOptions, Store, WrittenData } from './store.js';

const RECORD = 'record.json';
const DATA = 'data';
/** The hash pass reads in blocks this large (util/file-blocks.ts). */
const BLOCK = 4 << 20;

/**
 * A local file into the store: copied in the kernel (a reflink where the filesystem shares
 * extents, else copy_file_range, as `cp` does), then hashed as the copy holds it, from the page
 * cache, so the digest is of exactly the stored bytes, in reused buffers (util/file-blocks.ts).
 * Measured against streaming the file through a digest into a write stream, which allocated a
 * fresh buffer per read and spent most of its time in the kernel mapping and unmapping them.
 */
async function copyThenDigest(source: string, dest: string, options: PutOptions): Promise<WrittenData> {
  await copyFile(source, dest, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
  // copyFile gives the copy the source's mode; the directory it is in is 0700 meanwhile.
  await chmod(dest, 0o600);
  options.signal?.throwIfAborted();
  const file = await open(dest, 'r');
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const block of fileBlocks(file, BLOCK)) {
      hash.update(block);
      size += block.length;
      options.onBytes?.(size);
      options.signal?.throwIfAborted();
    }
  } finally {
    await file.close();
  }
  return { size, sha256: hash.digest('hex') };
}

export class FileStore implements Store {
  readonly url: string;

  constructor(readonly root: string) {
    this.url = `file://${root}`;
  }

  private dir(id: string): string {
    if (!BACKUP_ID_PATTERN.test(id)) throw backupNotFound(id, this.url);
    return join(this.root, 'backups', id);
  }

  async put(
    id: string,
    data: Readable,
    seal: (written: WrittenData) => BackupRecord | Promise<BackupRecord>,
    options: PutOptions = {},
  ): Promise<BackupRecord> {
    const final = this.dir(id);
    const incoming = join(this.root, 'incoming', `${id}.${randomBytes(4).toString('hex')}`);
    try {
      await mkdir(join(this.root, 'backups'), { recursive: true, mode: 0o700 });
      await mkdir(incoming, { recursive: true, mode: 0o700 });
      let written: WrittenData;
      if (options.sourceFile !== undefined) {
        data.destroy();
        written = await copyThenDigest(options.sourceFile, join(incoming, DATA), options);
      } else {
        const digest = new DigestStream(options.onBytes);
        const out = createWriteStream(join(incoming, DATA), { mode: 0o600, flags: 'wx' });
        await pipeline([data, digest, out], { signal: options.signal });
        written = { size: digest.bytes, sha256: digest.hex() };
      }
      const record = await seal(written);
      // The data on disk must be what passed through the digest (a short write would show here).
      const onDisk = await stat(join(incoming, DATA));
      if (onDisk.size !== record.data.size) {
        throw new KcrError(
          'integrity',
          `${this.url}: wrote ${onDisk.size} bytes, expected ${record.data.size}`,
        );
      }
      await writeFileAtomic(join(incoming, RECORD), serializeEntry(record));
      await rename(incoming, final).catch((err: unknown) => {
        const code = errnoCode(err);
        if (code === 'ENOTEMPTY' || code === 'EEXIST') {
          throw new KcrError('conflict', `${this.url}: a backup with id ${id} already exists`, {
            cause: err,
          });
        }
        throw err;
      });
      return record;
    } catch (err) {
      await rm(incoming, { recursive: true, force: true });
      throw storeWriteError(this.url, err);
    }
  }

  async list(): Promise<StoreEntry[]> {
    let ids: string[];
    try {
      ids = (await readdir(join(this.root, 'backups'))).filter((name) => BACKUP_ID_PATTERN.test(name));
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        await this.checkRoot();
        if (code === 'ENOENT') return [];
      }
      throw storeWriteError(this.url, err, 'cannot list');
    }
    const entries: StoreEntry[] = [];
    // Reads in batches: thousands of small files, without thousands of open descriptors.
    for (let i = 0; i < ids.length; i += 64) {
      const batch = await Promise.all(ids.slice(i, i + 64).map((id) => this.readEntry(id, true)));
      for (const entry of batch) if (entry) entries.push(entry);
    }
    return entries;
  }

  /** An empty store is a directory that exists (or will be made on the first put) and is one. */
  private async checkRoot(): Promise<void> {
    try {
      const info = await stat(this.root);
      if (!info.isDirectory()) {
        throw new KcrError('invalid-input', `${this.url}: not a directory`, {
          hint: 'a file:// store is a directory; name one that is, or one that does not exist yet',
        });
      }
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw storeWriteError(this.url, err, 'cannot list');
    }
  }

  private async readEntry(id: string, skipIncomplete: boolean): Promise<StoreEntry | undefined> {
    const path = join(this.dir(id), RECORD);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') {
        if (skipIncomplete) return undefined;
        throw backupNotFound(id, this.url);
      }
      throw storeWriteError(this.url, err, 'cannot read');
    }
    const entry = parseStoreEntry(text, path);
    if (entry.id !== id) {
      throw recordMisplaced(path, entry.id, id);
    }
    return entry;
  }

  async getEntry(id: string): Promise<StoreEntry> {
    return (await this.readEntry(id, false))!;
  }

  async openData(id: string): Promise<Readable> {
    const entry = await this.getEntry(id);
    if (entry.kind === 'Tombstone') throw backupNotFound(id, this.url, entry);
    const path = join(this.dir(id), DATA);
    const stream = createReadStream(path);
    // Surface a missing or unreadable file as an error now, not as a stream error later.
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (err) =>
        reject(
          errnoCode(err) === 'ENOENT'
            ? dataMissing(this.url, id, err)
            : storeWriteError(this.url, err, 'cannot read'),
        ),
      );
    });
    return stream;
  }

  async updateRecord(record: BackupRecord): Promise<void> {
    await this.getEntry(record.id);
    await writeFileAtomic(join(this.dir(record.id), RECORD), serializeEntry(record)).catch((err: unknown) => {
      throw storeWriteError(this.url, err);
    });
  }

  async remove(tombstone: Tombstone): Promise<void> {
    const dir = this.dir(tombstone.id);
    await this.getEntry(tombstone.id);
    try {
      await writeFileAtomic(join(dir, RECORD), serializeEntry(tombstone));
      await rm(join(dir, DATA), { force: true });
    } catch (err) {
      throw storeWriteError(this.url, err);
    }
  }

  async close(): Promise<void> {}
}
