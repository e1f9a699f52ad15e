/**
 * Decodes every CRIU image of a checkpoint, for `kcr verify --deep`: a backup whose bytes match
 * their sha256 may still hold a dump that never was whole (a checkpoint cut short on the node).
 * Raw images (memory pages, tarballs) have no entries and are covered by the archive's sha256.
 */
import { isRawImage } from '../criu/magic.js';
import { canDecode, decodeImage, readMagic } from '../criu/image.js';
import type { Checkpoint } from './checkpoint.js';

export interface ImageCheck {
  /** Images decoded entry by entry, to the end. */
  decoded: number;
  /** Raw images, and image types kcr does not decode (crit would). */
  skipped: string[];
  problems: { image: string; message: string }[];
}

export async function checkImages(cp: Checkpoint): Promise<ImageCheck> {
  const result: ImageCheck = { decoded: 0, skipped: [], problems: [] };
  // CRI-O and Podman put their own files (descriptors.json) beside CRIU's images.
  for (const file of cp
    .imageFiles()
    .filter((f) => f.endsWith('.img'))
    .sort()) {
    if (isRawImage(file)) {
      result.skipped.push(file);
      continue;
    }
    const member = cp.imageMember(file);
    try {
      const buf = await cp.archive.read(member);
      if (!canDecode(readMagic(buf, member).magic)) {
        result.skipped.push(file);
        continue;
      }
      decodeImage(buf, member);
      result.decoded++;
    } catch (err) {
      result.problems.push({ image: file, message: err instanceof Error ? err.message : String(err) });
    }
  }
  if (!cp.hasImage('inventory.img'))
    result.problems.push({ image: 'inventory.img', message: 'missing: the dump is incomplete' });
  return result;
}
