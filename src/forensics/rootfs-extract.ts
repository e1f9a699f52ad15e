/**
 * `kcr rootfs extract`: one file out of rootfs-diff.tar, read by offset. Entries whose names
 * would land outside the target are refused, as are links (their targets are on the host).
 */
import { mkdir } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { NestedTar } from '../archive/nested-tar.js';
import type { TarMember } from '../archive/tar-index.js';
import { escapesRoot } from '../archive/tar-index.js';
import { KcrError, fileError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { isDirectory } from '../util/fs-checks.js';
import type { Checkpoint } from './checkpoint.js';
import { ROOTFS_DIFF } from './rootfs.js';

export interface ExtractedFile {
  /** Path inside the container. */
  path: string;
  size: number;
  /** Where it was written; undefined when streamed to the caller. */
  writtenTo?: string;
}

const NOT_REGULAR: Record<TarMember['type'], string> = {
  file: 'a regular file',
  dir: 'a directory',
  symlink: 'a symbolic link',
  hardlink: 'a hard link',
  fifo: 'a FIFO (named pipe)',
  char: 'a character device',
  block: 'a block device',
  other: 'a special file',
};

/** What to do instead, per kind: links name their target, the rest is described by `inspect --rootfs`. */
function notRegularHint(member: TarMember): string {
  if (member.type === 'dir')
    return `extract the files inside it, e.g. ${member.name.replace(/\/$/, '')}/FILE; kcr inspect --rootfs lists them`;
  if (member.linkname) return `it points to ${member.linkname}; extract that path instead`;
  if (member.type === 'fifo')
    return 'a FIFO holds no data in the layer; bytes queued in it at the checkpoint are shown by kcr inspect --files';
  return 'kcr inspect --rootfs -o json shows its type, mode and owner';
}

function unsafe(name: string): KcrError {
  return new KcrError(
    'invalid-input',
    `${ROOTFS_DIFF}: entry "${name}" would land outside the target directory`,
    {
      hint: 'the archive was tampered with; kcr does not extract such entries',
    },
  );
}

async function findFile(cp: Checkpoint, path: string): Promise<{ tar: NestedTar; member: TarMember }> {
  const tar = await cp.rootfsDiff();
  if (!tar) {
    throw new KcrError('not-found', `${cp.path}: has no ${ROOTFS_DIFF}`, {
      hint: 'the container wrote no files outside its volumes before the checkpoint',
    });
  }
  const wanted = path.replace(/^\/+/, '');
  if (escapesRoot(wanted)) throw unsafe(path);
  let member = tar.require(wanted);
  if (member.unsafe) throw unsafe(member.name);
  if (member.type === 'hardlink' && member.linkname) member = tar.require(member.linkname);
  if (member.type !== 'file') {
    throw new KcrError(
      'invalid-input',
      `${ROOTFS_DIFF}: ${member.name} is ${NOT_REGULAR[member.type]}, not a regular file, so it has no contents to extract`,
      { hint: notRegularHint(member) },
    );
  }
  return { tar, member };
}

/**
 * Where the file goes: into a directory (an existing one, or a path ending in `/`), keeping its
 * container path, or to a file name. The directories it needs are created (0700: they hold a
 * container's files), as `mkdir -p` would.
 */
async function targetPath(output: string, memberName: string): Promise<string> {
  const intoDir = output.endsWith('/') || (await isDirectory(output));
  const dir = resolve(intoDir ? output : dirname(output));
  const target = intoDir ? resolve(dir, memberName) : resolve(output);
  const rel = relative(dir, target);
  if (intoDir && (rel.startsWith('..') || isAbsolute(rel))) throw unsafe(memberName);
  const parent = dirname(target);
  await mkdir(parent, { recursive: true, mode: 0o700 }).catch((err: unknown) => {
    throw fileError(parent, err, 'cannot create the directory');
  });
  return target;
}

export async function extractRootfsFile(
  cp: Checkpoint,
  path: string,
  output: string,
  signal?: AbortSignal,
): Promise<ExtractedFile> {
  const { tar, member } = await findFile(cp, path);
  const target = await targetPath(output, member.name);
  await writeFileAtomic(target, tar.stream(member), { mode: 0o600, signal });
  return { path: '/' + member.name, size: member.size, writtenTo: target };
}

export async function streamRootfsFile(
  cp: Checkpoint,
  path: string,
): Promise<{ file: ExtractedFile; stream: Readable }> {
  const { tar, member } = await findFile(cp, path);
  return { file: { path: '/' + member.name, size: member.size }, stream: tar.stream(member) };
}
