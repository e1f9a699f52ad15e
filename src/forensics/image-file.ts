/**
 * Loads one CRIU image for `kcr criu decode`: a file on disk, or `ARCHIVE:MEMBER` inside an archive.
 * Kubelet archive names contain colons, so the archive part ends at the last colon whose
 * left side is an existing file.
 */
import { readFile } from 'node:fs/promises';
import { CheckpointArchive } from '../archive/archive.js';
import { fileError, KcrError } from '../errors.js';
import { isFile } from '../util/fs-checks.js';

export interface ImageBytes {
  /** Display name: the file path, or `archive:member`. */
  name: string;
  data: Buffer;
}

/** A tar (ustar magic), gzip or zstd file: an archive given where an image was expected. */
function looksLikeArchive(data: Buffer): boolean {
  if (data.length >= 262 && data.toString('latin1', 257, 262) === 'ustar') return true;
  if (data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b) return true;
  return data.length >= 4 && data.readUInt32LE(0) === 0xfd2fb528;
}

export async function loadImageBytes(spec: string): Promise<ImageBytes> {
  if (await isFile(spec)) {
    let data: Buffer;
    try {
      data = await readFile(spec);
    } catch (err) {
      throw fileError(spec, err);
    }
    if (looksLikeArchive(data)) {
      throw new KcrError('usage', `${spec}: is a checkpoint archive, not a CRIU image`, {
        hint: `name an image in it: kcr criu decode ${spec}:checkpoint/pstree.img (kcr inspect ${spec} shows what is inside)`,
      });
    }
    return { name: spec, data };
  }
  for (let i = spec.lastIndexOf(':'); i > 0; i = spec.lastIndexOf(':', i - 1)) {
    const archivePath = spec.slice(0, i);
    const member = spec.slice(i + 1);
    if (!member || !(await isFile(archivePath))) continue;
    const archive = await CheckpointArchive.open(archivePath);
    try {
      // `core-1.img` is accepted for `checkpoint/core-1.img`.
      const name = archive.has(member)
        ? member
        : archive.has(`checkpoint/${member}`)
          ? `checkpoint/${member}`
          : member;
      return { name: `${archivePath}:${name}`, data: await archive.read(name) };
    } finally {
      await archive.close();
    }
  }
  throw new KcrError('not-found', `${spec}: no such file, and not ARCHIVE:MEMBER`, {
    hint: 'give a CRIU image file, or an archive and a member such as checkpoint.tar:checkpoint/pstree.img',
  });
}
