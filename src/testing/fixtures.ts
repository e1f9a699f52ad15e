/** Paths to the real checkpoint fixtures and their `.facts.json` (what is known to be inside). */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures');

export const fixture = (...parts: string[]) => join(FIXTURES, ...parts);

export interface FactsFd {
  type: string;
  path?: string;
  pos?: number;
  flags_octal?: string;
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
  exe: string;
  cmdline: string[];
  env_names: string[];
  threads: Array<{ tid: number; comm: string }>;
  fds: Record<string, FactsFd>;
  cwd: string;
  root: string;
  dumped_pages: number;
  vma_count: number;
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
  deleted_files: { present?: boolean; parsed?: string[] };
  criu_dump_stats: { dump: Record<string, number> };
  memory_strings: { searched: string[]; hits: FactsMemoryHit[] };
  container_config: { spec_env_names: string[]; spec_process_args: string[] };
  unreferenced_images: { members: string[] };
}

export function loadFacts(name: string): Facts {
  return JSON.parse(readFileSync(fixture('podman', name), 'utf8')) as Facts;
}

export interface FixtureCase {
  /** Path relative to test/fixtures. */
  archive: string;
  facts: string;
  expected?: { engine: string; pod: string; namespace: string; container: string; image: string };
}

interface Variants {
  variants: Array<{ archive: string; facts: string; expected: NonNullable<FixtureCase['expected']> }>;
}

/** Every fixture archive with its facts: the Podman originals and their Kubernetes-layout copies. */
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
    ...variants.variants.map((v) => ({
      archive: v.archive,
      facts: v.facts.replace(/^podman\//, ''),
      expected: v.expected,
    })),
  ];
}
