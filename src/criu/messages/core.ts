import { enumeration, f, message } from '../schema.js';

export const lsmtype = enumeration('lsmtype', { NO_LSM: 0, SELINUX: 1, APPARMOR: 2 });

export const userX86RegsMode = enumeration('user_x86_regs_mode', { NATIVE: 1, COMPAT: 2 });

export const seccompMode = enumeration('seccomp_mode', { disabled: 0, strict: 1, filter: 2 });

export const coreEntryMarch = enumeration('core_entry.march', {
  UNKNOWN: 0,
  X86_64: 1,
  ARM: 2,
  AARCH64: 3,
  PPC64: 4,
  S390: 5,
  MIPS: 6,
  LOONGARCH64: 7,
  RISCV64: 8,
});

export const taskKobjIdsEntry = message('task_kobj_ids_entry', {
  vm_id: f.uint32(1),
  files_id: f.uint32(2),
  fs_id: f.uint32(3),
  sighand_id: f.uint32(4),
  pid_ns_id: f.uint32(5),
  net_ns_id: f.uint32(6),
  ipc_ns_id: f.uint32(7),
  uts_ns_id: f.uint32(8),
  mnt_ns_id: f.uint32(9),
  user_ns_id: f.uint32(10),
  cgroup_ns_id: f.uint32(11),
  time_ns_id: f.uint32(12),
});

export const inventoryEntry = message('inventory_entry', {
  img_version: f.uint32(1),
  fdinfo_per_id: f.bool(2),
  root_ids: f.message(3, taskKobjIdsEntry),
  ns_per_id: f.bool(4),
  root_cg_set: f.uint32(5),
  lsmtype: f.enum(6, lsmtype),
  dump_uptime: f.uint64(8),
  pre_dump_mode: f.uint32(9),
  tcp_close: f.bool(10),
  network_lock_method: f.uint32(11),
  // CRIU 4.x additions, unknown to crit 3.17.
  dump_criu_run_id: f.string(13),
  allow_uprobes: f.bool(14),
});

export const pstreeEntry = message('pstree_entry', {
  pid: f.uint32(1),
  ppid: f.uint32(2),
  pgid: f.uint32(3),
  sid: f.uint32(4),
  threads: f.uint32(5, 'repeated'),
});

export const userX86RegsEntry = message('user_x86_regs_entry', {
  r15: f.uint64(1),
  r14: f.uint64(2),
  r13: f.uint64(3),
  r12: f.uint64(4),
  bp: f.uint64(5),
  bx: f.uint64(6),
  r11: f.uint64(7),
  r10: f.uint64(8),
  r9: f.uint64(9),
  r8: f.uint64(10),
  ax: f.uint64(11),
  cx: f.uint64(12),
  dx: f.uint64(13),
  si: f.uint64(14),
  di: f.uint64(15),
  orig_ax: f.uint64(16),
  ip: f.uint64(17),
  cs: f.uint64(18),
  flags: f.uint64(19),
  sp: f.uint64(20),
  ss: f.uint64(21),
  fs_base: f.uint64(22),
  gs_base: f.uint64(23),
  ds: f.uint64(24),
  es: f.uint64(25),
  fs: f.uint64(26),
  gs: f.uint64(27),
  mode: f.enum(28, userX86RegsMode),
});

export const userX86XsaveEntry = message('user_x86_xsave_entry', {
  xstate_bv: f.uint64(1),
  ymmh_space: f.uint32(2, 'repeated'),
  bndreg_state: f.uint64(3, 'repeated'),
  bndcsr_state: f.uint64(4, 'repeated'),
  opmask_reg: f.uint64(5, 'repeated'),
  zmm_upper: f.uint64(6, 'repeated'),
  hi16_zmm: f.uint64(7, 'repeated'),
  pkru: f.uint32(8, 'repeated'),
});

export const userX86FpregsEntry = message('user_x86_fpregs_entry', {
  cwd: f.uint32(1),
  swd: f.uint32(2),
  twd: f.uint32(3),
  fop: f.uint32(4),
  rip: f.uint64(5),
  rdp: f.uint64(6),
  mxcsr: f.uint32(7),
  mxcsr_mask: f.uint32(8),
  st_space: f.uint32(9, 'repeated'),
  xmm_space: f.uint32(10, 'repeated'),
  padding: f.uint32(11, 'repeated'),
  xsave: f.message(13, userX86XsaveEntry),
});

export const userDescT = message('user_desc_t', {
  entry_number: f.uint32(1),
  base_addr: f.uint32(2),
  limit: f.uint32(3),
  seg_32bit: f.bool(4),
  contents_h: f.bool(5),
  contents_l: f.bool(6),
  read_exec_only: f.bool(7),
  limit_in_pages: f.bool(8),
  seg_not_present: f.bool(9),
  usable: f.bool(10),
});

export const threadInfoX86 = message('thread_info_x86', {
  clear_tid_addr: f.uint64(1),
  gpregs: f.message(2, userX86RegsEntry),
  fpregs: f.message(3, userX86FpregsEntry),
  tls: f.message(4, userDescT, 'repeated'),
});

export const itimerEntry = message('itimer_entry', {
  isec: f.uint64(1),
  iusec: f.uint64(2),
  vsec: f.uint64(3),
  vusec: f.uint64(4),
});

export const posixTimerEntry = message('posix_timer_entry', {
  it_id: f.uint32(1),
  clock_id: f.uint32(2),
  si_signo: f.uint32(3),
  it_sigev_notify: f.uint32(4),
  sival_ptr: f.uint64(5),
  overrun: f.uint32(6),
  isec: f.uint64(7),
  insec: f.uint64(8),
  vsec: f.uint64(9),
  vnsec: f.uint64(10),
  notify_thread_id: f.int32(11),
});

export const taskTimersEntry = message('task_timers_entry', {
  real: f.message(1, itimerEntry),
  virt: f.message(2, itimerEntry),
  prof: f.message(3, itimerEntry),
  posix: f.message(4, posixTimerEntry, 'repeated'),
});

export const rlimitEntry = message('rlimit_entry', {
  cur: f.uint64(1),
  max: f.uint64(2),
});

export const taskRlimitsEntry = message('task_rlimits_entry', {
  rlimits: f.message(1, rlimitEntry, 'repeated'),
});

export const siginfoEntry = message('siginfo_entry', {
  siginfo: f.bytes(1),
});

export const signalQueueEntry = message('signal_queue_entry', {
  signals: f.message(1, siginfoEntry, 'repeated'),
});

export const saEntry = message('sa_entry', {
  sigaction: f.uint64(1),
  flags: f.uint64(2),
  restorer: f.uint64(3),
  mask: f.uint64(4),
  compat_sigaction: f.bool(5),
  mask_extended: f.uint64(6),
});

export const taskCoreEntry = message('task_core_entry', {
  task_state: f.uint32(1),
  exit_code: f.uint32(2),
  personality: f.uint32(3),
  flags: f.uint32(4),
  blk_sigset: f.uint64(5),
  comm: f.string(6),
  timers: f.message(7, taskTimersEntry),
  rlimits: f.message(8, taskRlimitsEntry),
  cg_set: f.uint32(9),
  signals_s: f.message(10, signalQueueEntry),
  old_seccomp_mode: f.enum(11, seccompMode),
  old_seccomp_filter: f.uint32(12),
  loginuid: f.uint32(13),
  oom_score_adj: f.int32(14),
  sigactions: f.message(15, saEntry, 'repeated'),
  child_subreaper: f.bool(18),
  blk_sigset_extended: f.uint64(20),
  // CRIU 4.x additions, unknown to crit 3.17.
  stop_signo: f.uint32(21),
  membarrier_registration_mask: f.uint32(22),
});

export const threadSasEntry = message('thread_sas_entry', {
  ss_sp: f.uint64(1),
  ss_size: f.uint64(2),
  ss_flags: f.uint32(3),
});

export const credsEntry = message('creds_entry', {
  uid: f.uint32(1),
  gid: f.uint32(2),
  euid: f.uint32(3),
  egid: f.uint32(4),
  suid: f.uint32(5),
  sgid: f.uint32(6),
  fsuid: f.uint32(7),
  fsgid: f.uint32(8),
  cap_inh: f.uint32(9, 'repeated'),
  cap_prm: f.uint32(10, 'repeated'),
  cap_eff: f.uint32(11, 'repeated'),
  cap_bnd: f.uint32(12, 'repeated'),
  secbits: f.uint32(13),
  groups: f.uint32(14, 'repeated'),
  lsm_profile: f.string(15),
  lsm_sockcreate: f.string(16),
  apparmor_data: f.bytes(17),
});

export const rseqEntry = message('rseq_entry', {
  rseq_abi_pointer: f.uint64(1),
  rseq_abi_size: f.uint32(2),
  signature: f.uint32(3),
  rseq_cs_pointer: f.uint64(4),
});

export const threadCoreEntry = message('thread_core_entry', {
  futex_rla: f.uint64(1),
  futex_rla_len: f.uint32(2),
  sched_nice: f.sint32(3),
  sched_policy: f.uint32(4),
  sched_prio: f.uint32(5),
  blk_sigset: f.uint64(6),
  sas: f.message(7, threadSasEntry),
  pdeath_sig: f.uint32(8),
  signals_p: f.message(9, signalQueueEntry),
  creds: f.message(10, credsEntry),
  seccomp_mode: f.enum(11, seccompMode),
  seccomp_filter: f.uint32(12),
  comm: f.string(13),
  blk_sigset_extended: f.uint64(14),
  rseq_entry: f.message(15, rseqEntry),
  // CRIU 4.x addition, unknown to crit 3.17.
  cg_set: f.uint32(16),
});

export const coreEntry = message('core_entry', {
  mtype: f.enum(1, coreEntryMarch),
  thread_info: f.message(2, threadInfoX86),
  tc: f.message(3, taskCoreEntry),
  ids: f.message(4, taskKobjIdsEntry),
  thread_core: f.message(5, threadCoreEntry),
});
