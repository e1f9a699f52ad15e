import { enumeration, f, message } from '../schema.js';
import { fownEntry } from './common.js';

export const skShutdown = enumeration('sk_shutdown', { NONE: 0, READ: 1, WRITE: 2, BOTH: 3 });

export const filePermsEntry = message('file_perms_entry', {
  mode: f.uint32(1),
  uid: f.uint32(2),
  gid: f.uint32(3),
});

export const skOptsEntry = message('sk_opts_entry', {
  so_sndbuf: f.uint32(1),
  so_rcvbuf: f.uint32(2),
  so_snd_tmo_sec: f.uint64(3),
  so_snd_tmo_usec: f.uint64(4),
  so_rcv_tmo_sec: f.uint64(5),
  so_rcv_tmo_usec: f.uint64(6),
  reuseaddr: f.bool(7),
  so_priority: f.uint32(8),
  so_rcvlowat: f.uint32(9),
  so_mark: f.uint32(10),
  so_passcred: f.bool(11),
  so_passsec: f.bool(12),
  so_dontroute: f.bool(13),
  so_no_check: f.bool(14),
  so_bound_dev: f.string(15),
  so_filter: f.fixed64(16, 'repeated'),
  so_reuseport: f.bool(17),
  so_broadcast: f.bool(18),
  so_keepalive: f.bool(19),
  tcp_keepcnt: f.uint32(20),
  tcp_keepidle: f.uint32(21),
  tcp_keepintvl: f.uint32(22),
  so_oobinline: f.uint32(23),
  so_linger: f.uint32(24),
  so_buf_lock: f.uint32(25),
});

export const ipOptsRawEntry = message('ip_opts_raw_entry', {
  hdrincl: f.bool(1),
  nodefrag: f.bool(2),
  checksum: f.bool(3),
  icmpv_filter: f.uint32(4, 'repeated'),
});

export const ipOptsEntry = message('ip_opts_entry', {
  freebind: f.bool(1),
  raw: f.message(4, ipOptsRawEntry),
});

export const inetSkEntry = message('inet_sk_entry', {
  id: f.uint32(1),
  ino: f.uint32(2),
  family: f.uint32(3),
  type: f.uint32(4),
  proto: f.uint32(5),
  state: f.uint32(6),
  src_port: f.uint32(7),
  dst_port: f.uint32(8),
  flags: f.uint32(9),
  backlog: f.uint32(10),
  src_addr: f.uint32(11, 'repeated'),
  dst_addr: f.uint32(12, 'repeated'),
  fown: f.message(13, fownEntry),
  opts: f.message(14, skOptsEntry),
  v6only: f.bool(15),
  ip_opts: f.message(16, ipOptsEntry),
  ifname: f.string(17),
  ns_id: f.uint32(18),
  shutdown: f.enum(19, skShutdown),
});

export const unixSkEntry = message('unix_sk_entry', {
  id: f.uint32(1),
  ino: f.uint32(2),
  type: f.uint32(3),
  state: f.uint32(4),
  flags: f.uint32(5),
  uflags: f.uint32(6),
  backlog: f.uint32(7),
  peer: f.uint32(8),
  fown: f.message(9, fownEntry),
  opts: f.message(10, skOptsEntry),
  name: f.bytes(11, { conv: 'unix_name' }),
  shutdown: f.enum(12, skShutdown),
  file_perms: f.message(13, filePermsEntry),
  name_dir: f.string(14),
  deleted: f.bool(15),
  ns_id: f.uint32(16),
  mnt_id: f.sint32(17),
});

export const packetMclist = message('packet_mclist', {
  index: f.uint32(1),
  type: f.uint32(2),
  addr: f.bytes(3),
});

export const packetRing = message('packet_ring', {
  block_size: f.uint32(1),
  block_nr: f.uint32(2),
  frame_size: f.uint32(3),
  frame_nr: f.uint32(4),
  retire_tmo: f.uint32(5),
  sizeof_priv: f.uint32(6),
  features: f.uint32(7),
});

export const packetSockEntry = message('packet_sock_entry', {
  id: f.uint32(1),
  type: f.uint32(2),
  protocol: f.uint32(3),
  flags: f.uint32(4),
  ifindex: f.uint32(5),
  fown: f.message(6, fownEntry),
  opts: f.message(7, skOptsEntry),
  version: f.uint32(8),
  reserve: f.uint32(9),
  aux_data: f.bool(10),
  orig_dev: f.bool(11),
  vnet_hdr: f.bool(12),
  loss: f.bool(13),
  timestamp: f.uint32(14),
  copy_thresh: f.uint32(15),
  mclist: f.message(16, packetMclist, 'repeated'),
  fanout: f.uint32(17),
  rx_ring: f.message(18, packetRing),
  tx_ring: f.message(19, packetRing),
  ns_id: f.uint32(20),
});

export const netlinkSkEntry = message('netlink_sk_entry', {
  id: f.uint32(1),
  ino: f.uint32(2),
  protocol: f.uint32(3),
  state: f.uint32(4),
  flags: f.uint32(6),
  portid: f.uint32(7),
  groups: f.uint32(8, 'repeated'),
  dst_portid: f.uint32(9),
  dst_group: f.uint32(10),
  fown: f.message(11, fownEntry),
  opts: f.message(12, skOptsEntry),
  ns_id: f.uint32(13),
});

export const scmEntry = message('scm_entry', {
  type: f.uint32(1),
  rights: f.uint32(2, 'repeated'),
});

export const skPacketEntry = message('sk_packet_entry', {
  id_for: f.uint32(1),
  length: f.uint32(2),
  scm: f.message(4, scmEntry, 'repeated'),
});

export const tcpStreamEntry = message('tcp_stream_entry', {
  inq_len: f.uint32(1),
  inq_seq: f.uint32(2),
  outq_len: f.uint32(3),
  outq_seq: f.uint32(4),
  opt_mask: f.uint32(5),
  snd_wscale: f.uint32(6),
  mss_clamp: f.uint32(7),
  rcv_wscale: f.uint32(8),
  timestamp: f.uint32(9),
  cork: f.bool(10),
  nodelay: f.bool(11),
  unsq_len: f.uint32(12),
  snd_wl1: f.uint32(13),
  snd_wnd: f.uint32(14),
  max_window: f.uint32(15),
  rcv_wnd: f.uint32(16),
  rcv_wup: f.uint32(17),
});
