import { enumeration, f, message } from '../schema.js';
import { fownEntry, timeval } from './common.js';
import { inetSkEntry, packetSockEntry, unixSkEntry } from './sockets.js';

export const fdTypes = enumeration('fd_types', {
  UND: 0,
  REG: 1,
  PIPE: 2,
  FIFO: 3,
  INETSK: 4,
  UNIXSK: 5,
  EVENTFD: 6,
  EVENTPOLL: 7,
  INOTIFY: 8,
  SIGNALFD: 9,
  PACKETSK: 10,
  TTY: 11,
  FANOTIFY: 12,
  NETLINKSK: 13,
  NS: 14,
  TUNF: 15,
  EXT: 16,
  TIMERFD: 17,
  MEMFD: 18,
  BPFMAP: 19,
  PIDFD: 20,
  CTL_TTY: 65534,
  AUTOFS_PIPE: 65535,
});

export const remapType = enumeration('remap_type', { LINKED: 0, GHOST: 1, PROCFS: 2 });

export const TtyType = enumeration('TtyType', {
  UNKNOWN: 0,
  PTY: 1,
  CONSOLE: 2,
  VT: 3,
  CTTY: 4,
  EXT_TTY: 5,
  SERIAL: 6,
});

export const fdinfoEntry = message('fdinfo_entry', {
  id: f.uint32(1),
  flags: f.uint32(2),
  type: f.enum(3, fdTypes),
  fd: f.uint32(4),
  xattr_security_selinux: f.string(5),
});

export const regFileEntry = message('reg_file_entry', {
  id: f.uint32(1),
  flags: f.uint32(2),
  pos: f.uint64(3),
  fown: f.message(5, fownEntry),
  name: f.string(6),
  mnt_id: f.sint32(7),
  size: f.uint64(8),
  ext: f.bool(9),
  mode: f.uint32(10),
  build_id: f.uint32(11, 'repeated'),
  checksum: f.uint32(12),
  checksum_config: f.uint32(13),
  checksum_parameter: f.uint32(14),
});

export const eventfdFileEntry = message('eventfd_file_entry', {
  id: f.uint32(1),
  flags: f.uint32(2),
  fown: f.message(3, fownEntry),
  counter: f.uint64(4),
});

export const eventpollTfdEntry = message('eventpoll_tfd_entry', {
  id: f.uint32(1),
  tfd: f.uint32(2),
  events: f.uint32(3),
  data: f.uint64(4),
  dev: f.uint32(5),
  inode: f.uint64(6),
  pos: f.uint64(7),
});

export const eventpollFileEntry = message('eventpoll_file_entry', {
  id: f.uint32(1),
  flags: f.uint32(2),
  fown: f.message(3, fownEntry),
  tfd: f.message(4, eventpollTfdEntry, 'repeated'),
});

export const fifoEntry = message('fifo_entry', {
  id: f.uint32(1),
  pipe_id: f.uint32(2),
  regf_id: f.uint32(3),
});

export const pipeEntry = message('pipe_entry', {
  id: f.uint32(1),
  pipe_id: f.uint32(2),
  flags: f.uint32(3),
  fown: f.message(4, fownEntry),
});

export const ttyFileEntry = message('tty_file_entry', {
  id: f.uint32(1),
  tty_info_id: f.uint32(2),
  flags: f.uint32(3),
  fown: f.message(4, fownEntry),
  regf_id: f.uint32(6),
});

export const memfdFileEntry = message('memfd_file_entry', {
  id: f.uint32(1),
  flags: f.uint32(2),
  pos: f.uint64(3),
  fown: f.message(4, fownEntry),
  inode_id: f.uint32(5),
});

export const fileEntry = message('file_entry', {
  type: f.enum(1, fdTypes),
  id: f.uint32(2),
  reg: f.message(3, regFileEntry),
  isk: f.message(4, inetSkEntry),
  psk: f.message(6, packetSockEntry),
  efd: f.message(8, eventfdFileEntry),
  epfd: f.message(9, eventpollFileEntry),
  usk: f.message(16, unixSkEntry),
  fifo: f.message(17, fifoEntry),
  pipe: f.message(18, pipeEntry),
  tty: f.message(19, ttyFileEntry),
  memfd: f.message(20, memfdFileEntry),
});

export const fsEntry = message('fs_entry', {
  cwd_id: f.uint32(1),
  root_id: f.uint32(2),
  umask: f.uint32(3),
});

export const remapFilePathEntry = message('remap_file_path_entry', {
  orig_id: f.uint32(1),
  remap_id: f.uint32(2),
  remap_type: f.enum(3, remapType),
});

export const ghostFileEntry = message('ghost_file_entry', {
  uid: f.uint32(1),
  gid: f.uint32(2),
  mode: f.uint32(3),
  dev: f.uint32(4),
  ino: f.uint64(5),
  rdev: f.uint32(6),
  atim: f.message(7, timeval),
  mtim: f.message(8, timeval),
  chunks: f.bool(9),
  size: f.uint64(10),
  symlnk_target: f.string(11),
});

export const ghostChunkEntry = message('ghost_chunk_entry', {
  len: f.uint64(1),
  off: f.uint64(2),
});

export const memfdInodeEntry = message('memfd_inode_entry', {
  name: f.string(1),
  uid: f.uint32(2),
  gid: f.uint32(3),
  size: f.uint64(4),
  shmid: f.uint32(5),
  seals: f.uint32(6),
  inode_id: f.uint64(7),
  hugetlb_flag: f.uint32(8),
});

export const pipeDataEntry = message('pipe_data_entry', {
  pipe_id: f.uint32(1),
  bytes: f.uint32(2),
  size: f.uint32(3),
});

export const termiosEntry = message('termios_entry', {
  c_iflag: f.uint32(1),
  c_oflag: f.uint32(2),
  c_cflag: f.uint32(3),
  c_lflag: f.uint32(4),
  c_line: f.uint32(5),
  c_ispeed: f.uint32(6),
  c_ospeed: f.uint32(7),
  c_cc: f.uint32(8, 'repeated'),
});

export const winsizeEntry = message('winsize_entry', {
  ws_row: f.uint32(1),
  ws_col: f.uint32(2),
  ws_xpixel: f.uint32(3),
  ws_ypixel: f.uint32(4),
});

export const ttyPtyEntry = message('tty_pty_entry', {
  index: f.uint32(1),
});

export const ttyInfoEntry = message('tty_info_entry', {
  id: f.uint32(1),
  type: f.enum(2, TtyType),
  locked: f.bool(3),
  exclusive: f.bool(4),
  packet_mode: f.bool(5),
  sid: f.uint32(6),
  pgrp: f.uint32(7),
  rdev: f.uint32(8),
  termios: f.message(9, termiosEntry),
  termios_locked: f.message(10, termiosEntry),
  winsize: f.message(11, winsizeEntry),
  pty: f.message(12, ttyPtyEntry),
  dev: f.uint32(13),
  uid: f.uint32(14),
  gid: f.uint32(15),
});

export const ttyDataEntry = message('tty_data_entry', {
  tty_id: f.uint32(1),
  data: f.bytes(2),
});
