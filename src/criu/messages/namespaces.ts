import { enumeration, f, message, type MessageSpec } from '../schema.js';

export const SysctlType = enumeration('SysctlType', { CTL_STR: 5, CTL_32: 6 });

export const timespec = message('timespec', {
  tv_sec: f.uint64(1),
  tv_nsec: f.uint64(2),
});

export const sysctlEntry = message('sysctl_entry', {
  type: f.enum(1, SysctlType),
  iarg: f.int32(2),
  sarg: f.string(3),
});

export const netnsId = message('netns_id', {
  target_ns_id: f.uint32(1),
  netnsid_value: f.int32(2),
});

export const mntEntry = message('mnt_entry', {
  fstype: f.uint32(1),
  mnt_id: f.uint32(2),
  root_dev: f.uint32(3),
  parent_mnt_id: f.uint32(4),
  flags: f.uint32(5),
  root: f.string(6),
  mountpoint: f.string(7),
  source: f.string(8),
  options: f.string(9),
  shared_id: f.uint32(10),
  master_id: f.uint32(11),
  with_plugin: f.bool(12),
  ext_mount: f.bool(13),
  fsname: f.string(14),
  internal_sharing: f.bool(15),
  deleted: f.bool(16),
  sb_flags: f.uint32(17),
  ext_key: f.string(18),
});

export const cgMemberEntry = message('cg_member_entry', {
  name: f.string(1),
  path: f.string(2),
  cgns_prefix: f.uint32(3),
});

export const cgSetEntry = message('cg_set_entry', {
  id: f.uint32(1),
  ctls: f.message(2, cgMemberEntry, 'repeated'),
});

export const cgroupPerms = message('cgroup_perms', {
  mode: f.uint32(1),
  uid: f.uint32(2),
  gid: f.uint32(3),
});

export const cgroupPropEntry = message('cgroup_prop_entry', {
  name: f.string(1),
  value: f.string(2),
  perms: f.message(3, cgroupPerms),
});

// Recursive (children are directories too), so the field refers back lazily.
export const cgroupDirEntry: MessageSpec = message('cgroup_dir_entry', {
  dir_name: f.string(1),
  children: f.lazyMessage(2, () => cgroupDirEntry, 'repeated'),
  properties: f.message(3, cgroupPropEntry, 'repeated'),
  dir_perms: f.message(4, cgroupPerms),
});

export const cgControllerEntry = message('cg_controller_entry', {
  cnames: f.string(1, 'repeated'),
  dirs: f.message(2, cgroupDirEntry, 'repeated'),
});

export const cgroupEntry = message('cgroup_entry', {
  sets: f.message(1, cgSetEntry, 'repeated'),
  controllers: f.message(2, cgControllerEntry, 'repeated'),
});

export const seccompFilter = message('seccomp_filter', {
  filter: f.bytes(1),
  prev: f.uint32(2),
  flags: f.uint32(3),
});

export const seccompEntry = message('seccomp_entry', {
  seccomp_filters: f.message(1, seccompFilter, 'repeated'),
});

export const ipcVarEntry = message('ipc_var_entry', {
  sem_ctls: f.uint32(1, 'repeated'),
  msg_ctlmax: f.uint32(2),
  msg_ctlmnb: f.uint32(3),
  msg_ctlmni: f.uint32(4),
  auto_msgmni: f.uint32(5),
  shm_ctlmax: f.uint64(6),
  shm_ctlall: f.uint64(7),
  shm_ctlmni: f.uint32(8),
  shm_rmid_forced: f.uint32(9),
  mq_queues_max: f.uint32(10),
  mq_msg_max: f.uint32(11),
  mq_msgsize_max: f.uint32(12),
  mq_msg_default: f.uint32(13),
  mq_msgsize_default: f.uint32(14),
  msg_next_id: f.uint32(15),
  sem_next_id: f.uint32(16),
  shm_next_id: f.uint32(17),
});

export const netnsEntry = message('netns_entry', {
  def_conf: f.int32(1, 'repeated'),
  all_conf: f.int32(2, 'repeated'),
  def_conf4: f.message(3, sysctlEntry, 'repeated'),
  all_conf4: f.message(4, sysctlEntry, 'repeated'),
  def_conf6: f.message(5, sysctlEntry, 'repeated'),
  all_conf6: f.message(6, sysctlEntry, 'repeated'),
  nsids: f.message(7, netnsId, 'repeated'),
  ext_key: f.string(8),
  unix_conf: f.message(9, sysctlEntry, 'repeated'),
});

export const timensEntry = message('timens_entry', {
  monotonic: f.message(1, timespec),
  boottime: f.message(2, timespec),
});

/** pidns.proto: written when the container joins a PID namespace it does not own (a pod's shared one). */
export const pidnsEntry = message('pidns_entry', {
  ext_key: f.string(1),
});

export const utsnsEntry = message('utsns_entry', {
  nodename: f.string(1),
  domainname: f.string(2),
});
