/**
 * Open files per process: fd → what it points at, with flags and position. Follows go-criu's
 * ExploreFds: ids.files_id → fdinfo-<files_id>.img → files.img by id; cwd/root from fs-<pid>.img.
 */
import { fdTypes } from '../criu/messages/files.js';
import { printableBytes } from '../util/printable-bytes.js';
import type { DumpImages, FileEntry, PipeData, TaskImages } from './images.js';
import { exePath } from './ps-tree.js';

export interface OpenFile {
  fd: number;
  /** CRIU's fd type: REG, PIPE, FIFO, INETSK, UNIXSK, EVENTFD, EVENTPOLL, TTY, MEMFD, ... */
  type: string;
  /** What /proc/PID/fd/N would show: a path, `pipe:[N]`, `socket:[N]`, `anon_inode:[eventfd]`. */
  path: string;
  /** Open flags (O_*) in octal, as /proc/PID/fdinfo prints them. */
  flags?: string;
  mode?: string;
  pos?: number;
  size?: number;
  closeOnExec: boolean;
  /** The file was deleted while open (CRIU remapped it; ghost contents may be in the dump). */
  deleted?: boolean;
  /** For deleted files: how CRIU kept them (GHOST = contents saved in ghost-file-N.img). */
  remap?: string;
  /** Socket or pipe inode. */
  inode?: number;
  /** Pipes and FIFOs: which end this fd is (from its open flags). */
  end?: 'read' | 'write' | 'read-write';
  /** Pipes and FIFOs: the other fds in the checkpoint open on the same pipe. */
  peers?: Array<{ pid: number; fd: number; end?: OpenFile['end'] }>;
  /** Pipes and FIFOs: bytes that were queued in it (pipes-data.img / fifo-data.img); absent when none. */
  queued?: QueuedBytes;
}

export interface QueuedBytes {
  bytes: number;
  /** The first bytes (at most QUEUE_HEAD), escaped by printableBytes. */
  head: string;
}

/** How many queued bytes are shown: enough to recognise a message, never a whole buffer. */
export const QUEUE_HEAD = 64;

export function queuedBytes(data: PipeData): QueuedBytes {
  return { bytes: data.bytes, head: printableBytes(data.data.subarray(0, QUEUE_HEAD)) };
}

function pipeEnd(flags: number): OpenFile['end'] {
  const access = flags & 0o3;
  return access === 0 ? 'read' : access === 1 ? 'write' : 'read-write';
}

export interface ProcessFiles {
  pid: number;
  comm: string;
  cwd?: string;
  root?: string;
  exe?: string;
  fds: OpenFile[];
}

const OPEN_FLAGS: Array<[string, number]> = [
  ['O_WRONLY', 0o1],
  ['O_RDWR', 0o2],
  ['O_CREAT', 0o100],
  ['O_EXCL', 0o200],
  ['O_NOCTTY', 0o400],
  ['O_TRUNC', 0o1000],
  ['O_APPEND', 0o2000],
  ['O_NONBLOCK', 0o4000],
  ['O_DSYNC', 0o10000],
  ['O_DIRECT', 0o40000],
  ['O_LARGEFILE', 0o100000],
  ['O_DIRECTORY', 0o200000],
  ['O_NOFOLLOW', 0o400000],
  ['O_NOATIME', 0o1000000],
  ['O_CLOEXEC', 0o2000000],
  ['O_PATH', 0o10000000],
];

/** `O_RDWR|O_APPEND|O_LARGEFILE`; O_RDONLY when no access bits are set. */
export function openFlagNames(flags: number): string {
  const names = OPEN_FLAGS.filter(([, bit]) => (flags & bit) !== 0).map(([name]) => name);
  if ((flags & 0o3) === 0) names.unshift('O_RDONLY');
  return names.join('|');
}

function typeName(type: number | undefined): string {
  return type === undefined ? 'UND' : (fdTypes.byNumber.get(type) ?? `TYPE${type}`);
}

/** Renders one file object; `fd` and fd flags come from the fdinfo entry. */
export function describeFile(
  images: DumpImages,
  file: FileEntry | undefined,
  fd: number,
  fdFlags: number,
  fdType: number | undefined,
): OpenFile {
  const type = typeName(file?.type ?? fdType);
  const out: OpenFile = { fd, type, path: '', closeOnExec: (fdFlags & 1) !== 0 };
  if (!file) {
    out.path = `<missing file ${type}>`;
    return out;
  }
  if (file.reg) {
    const reg = file.reg;
    out.path = reg.name ?? '';
    out.flags = '0o' + (reg.flags ?? 0).toString(8);
    out.pos = Number(reg.pos ?? 0n);
    if (reg.size !== undefined) out.size = Number(reg.size);
    if (reg.mode !== undefined) out.mode = '0o' + reg.mode.toString(8);
    const remap = images.remaps.get(reg.id ?? file.id ?? -1);
    if (remap) {
      out.deleted = true;
      out.remap = ['LINKED', 'GHOST', 'PROCFS'][remap.remap_type ?? 0] ?? String(remap.remap_type);
    }
  } else if (file.pipe) {
    out.path = `pipe:[${file.pipe.pipe_id ?? 0}]`;
    out.inode = file.pipe.pipe_id;
    out.flags = '0o' + (file.pipe.flags ?? 0).toString(8);
    out.end = pipeEnd(file.pipe.flags ?? 0);
    const queued = images.pipeData.get(file.pipe.pipe_id ?? -1);
    if (queued?.bytes) out.queued = queuedBytes(queued);
  } else if (file.fifo) {
    // A FIFO is opened by path: CRIU keeps that open as a regular-file entry (regf_id) holding
    // the path, the open flags and the mode, beside the pipe inode.
    const reg = images.files.get(file.fifo.regf_id ?? -1)?.reg;
    out.path = reg?.name ?? `pipe:[${file.fifo.pipe_id ?? 0}]`;
    out.inode = file.fifo.pipe_id;
    if (reg?.flags !== undefined) {
      out.flags = '0o' + reg.flags.toString(8);
      out.end = pipeEnd(reg.flags);
    }
    if (reg?.mode !== undefined) out.mode = '0o' + reg.mode.toString(8);
    const queued = images.fifoData.get(file.fifo.pipe_id ?? -1);
    if (queued?.bytes) out.queued = queuedBytes(queued);
  } else if (file.isk || file.usk || file.psk) {
    const ino = file.isk?.ino ?? file.usk?.ino ?? file.psk?.id ?? 0;
    out.path = `socket:[${ino}]`;
    out.inode = ino;
  } else if (file.efd) {
    out.path = 'anon_inode:[eventfd]';
  } else if (file.epfd) {
    out.path = 'anon_inode:[eventpoll]';
  } else if (file.memfd) {
    const inode = images.memfdInodes.get(file.memfd.inode_id ?? -1);
    out.path = `/memfd:${inode?.name ?? ''} (deleted)`;
    out.pos = Number(file.memfd.pos ?? 0n);
    if (inode?.size !== undefined) out.size = Number(inode.size);
  } else if (file.tty) {
    const info = images.ttyInfo.get(file.tty.tty_info_id ?? -1);
    out.path = info?.pty?.index !== undefined ? `/dev/pts/${info.pty.index}` : 'tty';
  } else {
    out.path = `anon_inode:[${type.toLowerCase()}]`;
  }
  return out;
}

function regName(images: DumpImages, id: number | undefined): string | undefined {
  return id === undefined ? undefined : images.files.get(id)?.reg?.name;
}

export function processFiles(images: DumpImages, task: TaskImages): ProcessFiles {
  const filesId = task.ids?.files_id;
  const fdinfo = filesId === undefined ? [] : (images.fdinfo.get(filesId) ?? []);
  const out: ProcessFiles = {
    pid: task.pid,
    comm: task.core?.tc?.comm ?? '',
    fds: fdinfo
      .map((info) =>
        describeFile(images, images.files.get(info.id ?? -1), info.fd ?? -1, info.flags ?? 0, info.type),
      )
      .sort((a, b) => a.fd - b.fd),
  };
  const cwd = regName(images, task.fs?.cwd_id);
  const root = regName(images, task.fs?.root_id);
  const exe = exePath(images, task);
  if (cwd !== undefined) out.cwd = cwd;
  if (root !== undefined) out.root = root;
  if (exe !== undefined) out.exe = exe;
  return out;
}

/** Every pipe and FIFO end over all processes, so each end can name where the others are open. */
function linkPipeEnds(listed: ProcessFiles[], all: ProcessFiles[]): void {
  const byInode = new Map<number, Array<{ pid: number; fd: number; end?: OpenFile['end'] }>>();
  for (const pf of all) {
    for (const f of pf.fds) {
      if ((f.type !== 'PIPE' && f.type !== 'FIFO') || f.inode === undefined) continue;
      const ends = byInode.get(f.inode) ?? [];
      ends.push(f.end ? { pid: pf.pid, fd: f.fd, end: f.end } : { pid: pf.pid, fd: f.fd });
      byInode.set(f.inode, ends);
    }
  }
  for (const pf of listed) {
    for (const f of pf.fds) {
      if ((f.type !== 'PIPE' && f.type !== 'FIFO') || f.inode === undefined) continue;
      const peers = (byInode.get(f.inode) ?? []).filter((e) => e.pid !== pf.pid || e.fd !== f.fd);
      if (peers.length) f.peers = peers;
    }
  }
}

function fdTables(images: DumpImages, pid?: number): ProcessFiles[] {
  return images.tasks
    .filter((t) => (pid === undefined || t.pid === pid) && t.ids?.files_id !== undefined)
    .map((t) => processFiles(images, t))
    .sort((a, b) => a.pid - b.pid);
}

/** Only Alive and Stopped tasks have fd tables in the dump; zombies are skipped. */
export function openFiles(images: DumpImages, pid?: number): ProcessFiles[] {
  const listed = fdTables(images, pid);
  linkPipeEnds(listed, pid === undefined ? listed : fdTables(images));
  return listed;
}
