/** Paths to the real checkpoint fixtures and their `.facts.json` (what is known to be inside). */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures');

export const fixture = (...parts: string[]) => join(FIXTURES, ...parts);

/**
 * Each kind of CRIU image set once: the crio/ and containerd/ copies share the Podman images byte
 * for byte, and nginx-webserver-2 and the .tar.zst are later dumps of the same containers.
 */
export const DISTINCT_IMAGE_SETS = [
  'podman/nginx-webserver-1.tar',
  'podman/busybox-counter.tar',
  'podman/cthreads-server.tar',
  'crio-real/checkpoint-toolbox_forensics-toolbox-2026-12-02T00:49:14Z.tar',
  'crio-real/checkpoint-counter_default-counter-2026-12-02T00:52:29Z.tar',
] as const;

export interface FactsFd {
  type: string;
  path?: string;
  pos?: number;
  flags_octal?: string;
  /** crio-real facts: `O_RDWR | O_LARGEFILE` for files, `0x1` for pipes. */
  flags?: string;
  size?: number;
  deleted?: boolean;
  remap?: string;
  inode?: number;
  proto?: string;
  state?: string;
  local?: string;
  peer?: string;
  sock_type?: string;
  name?: string;
  peer_inode?: number;
}

export interface FactsProcess {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  comm: string;
  /** `Alive`, or `Dead (zombie)` for a zombie (crio-real facts; absent in the Podman facts = Alive). */
  task_state?: string;
  /** A zombie has only core-PID.img: none of the fields below are in its facts. */
  zombie?: boolean;
  exit_code?: number;
  exe: string;
  cmdline: string[];
  env_names: string[];
  threads: Array<{ tid: number; comm: string }>;
  fds: Record<string, FactsFd>;
  cwd: string;
  root: string;
  dumped_pages: number;
  vma_count: number;
  pages_img: string;
}

export interface FactsMemoryHit {
  pid: number;
  string: string;
  vaddr: string;
  vma: string;
  kind: string;
  pages_img: string;
  pages_img_offset: number;
}

export interface Facts {
  archive: string;
  processes: { list: FactsProcess[] };
  tcp_sockets: {
    listening: Array<FactsFd & { pid: number; fd: number }>;
    established: Array<FactsFd & { pid: number; fd: number }>;
  };
  unix_sockets: {
    sockets: Array<FactsFd & { pid: number; fd: number }>;
    queued_data: Array<{ socket_inode: number; length: number }>;
  };
  rootfs_diff: { members: Array<{ name: string; size: number; type: string }> };
  /** Podman facts name the list `parsed`, crio-real facts `paths`; loadFacts fills `parsed` from either. */
  deleted_files: { present?: boolean; parsed?: string[]; paths?: string[] };
  criu_dump_stats: { dump: Record<string, number> };
  memory_strings: { searched: string[]; hits: FactsMemoryHit[] };
  container_config: {
    spec_env_names: string[];
    spec_process_args: string[];
    /** `NAME=value` as spec.dump's process.env holds it (crio-real facts only). */
    spec_env?: string[];
    spec_annotations?: Record<string, string>;
  };
  unreferenced_images: { members: string[] };
  /** crio-real facts only. */
  fifos?: {
    list: Array<{
      pipe_id: number;
      path: string;
      holders: Array<{ pid: number; fd: number; access: string }>;
      queued: Array<{ bytes: number; data_base64: string }>;
    }>;
  };
  pipes?: {
    list: Array<{ pipe_id: number; ends: Array<{ pid: number; fd: number; end: 'read' | 'write' }> }>;
  };
  /** What the engine recorded about the container (real runtime archives only). */
  engine_metadata?: {
    engine: string;
    pod: string;
    namespace: string;
    pod_uid: string;
    container: string;
    container_id: string;
    image: string;
    image_id: string;
    image_ref: string;
    runtime: string;
    oci_runtime: string;
    created: string;
    checkpointed: string;
    status_times_ns: { CreatedAt: number; StartedAt: number; FinishedAt: number };
    rootfs_diff_compression: string;
    log_member: string;
  };
  container_log?: { lines: number; last_text: string; counter_at_checkpoint: number };
}

/** Facts by file name: a bare name is in `podman/`, a path is relative to test/fixtures. */
export function loadFacts(name: string): Facts {
  const facts = JSON.parse(
    readFileSync(name.includes('/') ? fixture(name) : fixture('podman', name), 'utf8'),
  ) as Facts;
  facts.deleted_files.parsed ??= facts.deleted_files.paths;
  return facts;
}

/** The processes that were alive at the checkpoint (zombies have no files, memory or arguments). */
export const liveProcesses = (facts: Facts): FactsProcess[] => facts.processes.list.filter((p) => !p.zombie);

export interface FixtureCase {
  /** Path relative to test/fixtures. */
  archive: string;
  facts: string;
  expected?: { engine: string; pod: string; namespace: string; container: string; image: string };
}

interface Variants {
  variants: Array<{ archive: string; facts: string; expected: NonNullable<FixtureCase['expected']> }>;
}

/** Archives a real CRI-O 1.36 wrote (`crictl checkpoint`), each with its own facts beside it. */
export const CRIO_REAL: FixtureCase[] = [
  {
    archive: 'crio-real/checkpoint-toolbox_forensics-toolbox-2026-12-02T00:49:14Z.tar',
    facts: 'crio-real/checkpoint-toolbox_forensics-toolbox-2026-12-02T00:49:14Z.tar.facts.json',
    expected: {
      engine: 'cri-o',
      pod: 'toolbox',
      namespace: 'forensics',
      container: 'toolbox',
      image: '127.0.0.1:5000/kcr-fixtures/toolbox:1',
    },
  },
  {
    archive: 'crio-real/checkpoint-counter_default-counter-2026-12-02T00:52:29Z.tar',
    facts: 'crio-real/checkpoint-counter_default-counter-2026-12-02T00:52:29Z.tar.facts.json',
    expected: {
      engine: 'cri-o',
      pod: 'counter',
      namespace: 'default',
      container: 'counter',
      image: '127.0.0.1:5000/bbcounter:latest',
    },
  },
];

/** The archive a real containerd 2.3.4 wrote (`crictl checkpoint --export`), with its facts beside it. */
export const CONTAINERD_REAL_ARCHIVE =
  'containerd-real/checkpoint-counter-pod_default-counter-2026-12-02T01:04:00Z.tar';

export const CONTAINERD_REAL: FixtureCase[] = [
  {
    archive: CONTAINERD_REAL_ARCHIVE,
    facts: `${CONTAINERD_REAL_ARCHIVE}.facts.json`,
    expected: {
      engine: 'containerd',
      pod: 'counter-pod',
      namespace: 'default',
      container: 'counter',
      image: '127.0.0.1:5000/bbcounter:latest',
    },
  },
];

/** Every fixture archive with its facts: the Podman originals, their Kubernetes-layout copies, real archives. */
export function allFixtures(): FixtureCase[] {
  const podman: FixtureCase[] = [
    { archive: 'podman/nginx-webserver-1.tar', facts: 'nginx-webserver-1.facts.json' },
    { archive: 'podman/nginx-webserver-2.tar', facts: 'nginx-webserver-2.facts.json' },
    { archive: 'podman/busybox-counter.tar', facts: 'busybox-counter.facts.json' },
    { archive: 'podman/busybox-counter.tar.zst', facts: 'busybox-counter-zst.facts.json' },
    { archive: 'podman/cthreads-server.tar', facts: 'cthreads-server.facts.json' },
  ];
  const variants = JSON.parse(readFileSync(fixture('kubernetes-variants.json'), 'utf8')) as Variants;
  return [
    ...podman,
    ...CRIO_REAL,
    ...CONTAINERD_REAL,
    ...variants.variants.map((v) => ({
      archive: v.archive,
      facts: v.facts.replace(/^podman\//, ''),
      expected: v.expected,
    })),
  ];
}
