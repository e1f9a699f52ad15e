/**
 * Sockets per process (go-criu's ExploreSk): the fdinfo walk keeping INET, UNIX and PACKET
 * sockets, with addresses, state, buffers, queued bytes, and unix peers resolved to pid/fd.
 */
import type { DumpImages, FileEntry } from './images.js';

export interface SocketEndpoint {
  pid: number;
  fd: number;
}

export interface SocketInfo {
  pid: number;
  fd: number;
  family: string;
  type: string;
  protocol?: string;
  state: string;
  inode: number;
  local?: string;
  remote?: string;
  /** Unix socket path; abstract names start with `@`. */
  path?: string;
  peerInode?: number;
  /** Where the peer of a unix socket is open in this checkpoint. */
  peers?: SocketEndpoint[];
  sendBuffer?: number;
  receiveBuffer?: number;
  /** Bytes waiting to be read (tcp-stream receive queue, or sk-queues.img for unix/udp). */
  receiveQueue?: number;
  /** Bytes not yet acknowledged by the peer (tcp-stream send queue). */
  sendQueue?: number;
  /** Established TCP connections are only dumped with --tcp-established; this tells whether they were. */
  tcpStreamDumped?: boolean;
}

const FAMILIES: Record<number, string> = { 1: 'unix', 2: 'inet', 10: 'inet6', 16: 'netlink', 17: 'packet' };
const TYPES: Record<number, string> = { 1: 'stream', 2: 'dgram', 3: 'raw', 5: 'seqpacket', 10: 'packet' };
const PROTOCOLS: Record<number, string> = {
  0: 'ip',
  1: 'icmp',
  6: 'tcp',
  17: 'udp',
  58: 'icmpv6',
  136: 'udplite',
};
const STATES: Record<number, string> = {
  1: 'ESTABLISHED',
  2: 'SYN_SENT',
  3: 'SYN_RECV',
  4: 'FIN_WAIT1',
  5: 'FIN_WAIT2',
  6: 'TIME_WAIT',
  7: 'CLOSE',
  8: 'CLOSE_WAIT',
  9: 'LAST_ACK',
  10: 'LISTEN',
  11: 'CLOSING',
};

const named = (table: Record<number, string>, value: number | undefined) =>
  value === undefined ? 'unknown' : (table[value] ?? String(value));

/** CRIU stores each 32-bit word of an address as network-order bytes read little-endian. */
export function formatAddress(words: number[] | undefined, family: number | undefined): string {
  const bytes = Buffer.alloc((words?.length ?? 0) * 4);
  (words ?? []).forEach((w, i) => bytes.writeUInt32LE(w >>> 0, i * 4));
  if (family === 10 || bytes.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
    // Compress the longest run of zero groups, as inet_ntop does.
    let best = { start: -1, len: 0 };
    for (let i = 0; i < 8;) {
      if (groups[i] !== '0') {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && groups[j] === '0') j++;
      if (j - i > best.len && j - i > 1) best = { start: i, len: j - i };
      i = j;
    }
    if (best.start === -1) return groups.join(':');
    const head = groups.slice(0, best.start).join(':');
    const tail = groups.slice(best.start + best.len).join(':');
    return `${head}::${tail}`;
  }
  if (bytes.length < 4) return '0.0.0.0';
  return [...bytes.subarray(0, 4)].join('.');
}

function hostPort(words: number[] | undefined, port: number | undefined, family: number | undefined): string {
  const addr = formatAddress(words, family);
  return family === 10 ? `[${addr}]:${port ?? 0}` : `${addr}:${port ?? 0}`;
}

function unixPath(name: Uint8Array | undefined): string | undefined {
  if (!name || name.length === 0) return undefined;
  const buf = Buffer.from(name);
  if (buf[0] === 0) return '@' + buf.subarray(1).toString('utf8').replace(/\0+$/, '');
  return buf.toString('utf8').replace(/\0+$/, '');
}

function describeSocket(
  images: DumpImages,
  file: FileEntry,
  pid: number,
  fd: number,
): SocketInfo | undefined {
  const queued = images.skQueues
    .filter((q) => q.id_for === file.id)
    .reduce((sum, q) => sum + (q.length ?? 0), 0);
  if (file.isk) {
    const s = file.isk;
    const info: SocketInfo = {
      pid,
      fd,
      family: named(FAMILIES, s.family),
      type: named(TYPES, s.type),
      protocol: named(PROTOCOLS, s.proto),
      state: named(STATES, s.state),
      inode: s.ino ?? 0,
      local: hostPort(s.src_addr, s.src_port, s.family),
      remote: hostPort(s.dst_addr, s.dst_port, s.family),
      sendBuffer: s.opts?.so_sndbuf,
      receiveBuffer: s.opts?.so_rcvbuf,
    };
    const stream = images.tcpStreams.get(s.ino ?? -1);
    if (stream) {
      info.receiveQueue = stream.inq_len ?? 0;
      info.sendQueue = stream.outq_len ?? 0;
    } else if (queued > 0) {
      info.receiveQueue = queued;
    }
    if (s.proto === 6 && s.state === 1) info.tcpStreamDumped = stream !== undefined;
    return info;
  }
  if (file.usk) {
    const s = file.usk;
    const info: SocketInfo = {
      pid,
      fd,
      family: 'unix',
      type: named(TYPES, s.type),
      state: named(STATES, s.state),
      inode: s.ino ?? 0,
      sendBuffer: s.opts?.so_sndbuf,
      receiveBuffer: s.opts?.so_rcvbuf,
    };
    const path = unixPath(s.name);
    if (path !== undefined) info.path = path;
    if (s.peer) info.peerInode = s.peer;
    if (queued > 0) info.receiveQueue = queued;
    return info;
  }
  if (file.psk) {
    return {
      pid,
      fd,
      family: 'packet',
      type: named(TYPES, file.psk.type),
      state: 'unknown',
      inode: file.psk.id ?? 0,
      protocol: String(file.psk.protocol ?? 0),
    };
  }
  return undefined;
}

export function sockets(images: DumpImages, pid?: number): SocketInfo[] {
  const out: SocketInfo[] = [];
  for (const task of images.tasks) {
    if (pid !== undefined && task.pid !== pid) continue;
    const fdinfo = images.fdinfo.get(task.ids?.files_id ?? -1) ?? [];
    for (const info of fdinfo) {
      const file = images.files.get(info.id ?? -1);
      const socket = file ? describeSocket(images, file, task.pid, info.fd ?? -1) : undefined;
      if (socket) out.push(socket);
    }
  }
  // Resolve unix peers by inode over every process, so a socketpair's two ends point at each other.
  const byInode = new Map<number, SocketEndpoint[]>();
  for (const task of images.tasks) {
    for (const info of images.fdinfo.get(task.ids?.files_id ?? -1) ?? []) {
      const usk = images.files.get(info.id ?? -1)?.usk;
      if (!usk?.ino) continue;
      const list = byInode.get(usk.ino) ?? [];
      list.push({ pid: task.pid, fd: info.fd ?? -1 });
      byInode.set(usk.ino, list);
    }
  }
  for (const s of out) {
    if (s.peerInode !== undefined) {
      const peers = byInode.get(s.peerInode);
      if (peers) s.peers = peers;
    }
  }
  return out.sort((a, b) => a.pid - b.pid || a.fd - b.fd);
}
