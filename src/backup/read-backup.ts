/**
 * Reading a backup back: its stored bytes are checked against the record's size and sha256 as they
 * stream, and a file is renamed into place only when both match, so a damaged backup never leaves
 * a plausible-looking archive behind.
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KcrError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { DigestStream } from '../util/digest-stream.js';
import type { StreamEncryption } from './encryption/types.js';
import type { BackupRecord } from './record.js';
import { backupNotFound } from './stores/store-errors.js';
import type { Store } from './stores/store.js';

export interface ReadBackupOptions {
  signal?: AbortSignal;
  /** For encrypted backups: the cipher and the identities that open them. */
  decryption?: { cipher: StreamEncryption; identities: readonly string[] };
  onProgress?: (done: number, total: number) => void;
}

export interface SinkLike {
  write(chunk: Uint8Array): unknown;
}

async function liveRecord(store: Store, id: string): Promise<BackupRecord> {
  const entry = await store.getEntry(id);
  if (entry.kind === 'Tombstone') throw backupNotFound(id, store.url, entry);
  return entry;
}

function mismatch(
  store: Store,
  record: BackupRecord,
  what: 'data' | 'archive',
  size: number,
  sha256: string,
): KcrError | undefined {
  const want = record[what];
  if (size === want.size && sha256 === want.sha256) return undefined;
  const detail =
    size !== want.size
      ? `${size} bytes, the record says ${want.size}`
      : `sha256 ${sha256}, the record says ${want.sha256}`;
  return new KcrError('integrity', `backup ${record.id} in ${store.url} is damaged: ${detail}`, {
    hint: 'the stored data changed after it was written; restore from another backup (kcr backups --pod …)',
  });
}

/** Writes backup `id`'s archive to `target` (a path, written atomically at 0600, or a stream). */
export async function readBackup(
  store: Store,
  id: string,
  target: string | SinkLike,
  options: ReadBackupOptions = {},
): Promise<BackupRecord> {
  const record = await liveRecord(store, id);
  if (record.encryption?.format === 'ocicrypt') {
    throw new KcrError('usage', `backup ${id} is an ocicrypt image; it is opened where images are pulled`, {
      hint: `restore it with kcr restore ${id} --identity KEY.pem, or pull it with kcr image pull IMAGE --identity KEY.pem`,
    });
  }
  if (record.encryption && !options.decryption) {
    throw new KcrError(
      'usage',
      `backup ${id} is encrypted (${record.encryption.format}, to ${record.encryption.recipients.join(', ')})`,
      {
        hint: 'give the key that opens it with --identity FILE',
      },
    );
  }
  const stored = new DigestStream((done) => options.onProgress?.(done, record.data.size));
  const plain = new DigestStream();
  const source = await store.openData(id, options);
  const decrypted =
    options.decryption && record.encryption
      ? options.decryption.cipher.decrypt(source.pipe(stored), options.decryption.identities, options)
      : source.pipe(stored);
  const check = () => {
    const bad =
      mismatch(store, record, 'data', stored.bytes, stored.hex()) ??
      mismatch(store, record, 'archive', plain.bytes, plain.hex());
    if (bad) throw bad;
  };
  if (typeof target === 'string') {
    await writeFileAtomic(target, decrypted, { verify: check, signal: options.signal }, plain);
  } else {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        target.write(chunk);
        done();
      },
    });
    await pipeline([decrypted, plain, sink], { signal: options.signal });
    check();
  }
  return record;
}

export interface VerifyResult {
  id: string;
  ok: boolean;
  problem?: string;
}

/** Re-reads a backup's stored bytes and checks their size and sha256 against the record. */
export async function verifyBackupData(
  store: Store,
  id: string,
  options: { signal?: AbortSignal } = {},
): Promise<VerifyResult> {
  try {
    const record = await liveRecord(store, id);
    const digest = new DigestStream();
    await pipeline(
      [await store.openData(id, options), digest, new Writable({ write: (_c, _e, done) => done() })],
      {
        signal: options.signal,
      },
    );
    const bad = mismatch(store, record, 'data', digest.bytes, digest.hex());
    return bad ? { id, ok: false, problem: bad.message } : { id, ok: true };
  } catch (err) {
    if (err instanceof KcrError && (err.code === 'integrity' || err.code === 'invalid-input')) {
      return { id, ok: false, problem: err.message };
    }
    throw err;
  }
}
