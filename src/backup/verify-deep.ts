/**
 * `kcr verify --deep`: the stored bytes are checked as for a plain verify while they stream into
 * a private temporary file (decrypted, when the backup is encrypted and a key is given), and then
 * the archive is opened and every CRIU image in it decoded.
 */
import { join } from 'node:path';
import { makeTempDir } from '../util/temp-dir.js';
import { KcrError } from '../errors.js';
import { withCheckpoint } from '../forensics/checkpoint.js';
import { checkImages, type ImageCheck } from '../forensics/image-check.js';
import { readBackup, verifyBackupData, type ReadBackupOptions, type VerifyResult } from './read-backup.js';
import type { Store } from './stores/store.js';

export interface DeepVerifyResult extends VerifyResult {
  images?: ImageCheck;
}

export async function verifyBackupDeep(
  store: Store,
  id: string,
  options: Pick<ReadBackupOptions, 'signal' | 'decryption'> = {},
): Promise<DeepVerifyResult> {
  const entry = await store.getEntry(id, options);
  if (entry.kind === 'Backup' && entry.encryption && !options.decryption) {
    const shallow = await verifyBackupData(store, id, options);
    return shallow.ok
      ? { ...shallow, problem: 'encrypted: its data matches the record; give --identity to check inside' }
      : shallow;
  }
  const temp = await makeTempDir('verify');
  try {
    const path = join(temp.dir, 'archive');
    try {
      await readBackup(store, id, path, options);
    } catch (err) {
      if (err instanceof KcrError && (err.code === 'integrity' || err.code === 'not-found')) {
        return { id, ok: false, problem: err.message };
      }
      throw err;
    }
    let images: ImageCheck;
    try {
      images = await withCheckpoint(path, checkImages);
    } catch (err) {
      if (err instanceof KcrError && err.code === 'invalid-input')
        return { id, ok: false, problem: `not a readable checkpoint: ${err.message}` };
      throw err;
    }
    const first = images.problems[0];
    return first
      ? { id, ok: false, problem: `${first.image}: ${first.message}`, images }
      : { id, ok: true, images };
  } finally {
    await temp.remove();
  }
}
