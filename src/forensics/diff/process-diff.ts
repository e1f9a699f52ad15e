/**
 * Process-level changes between two checkpoints of one container: processes that appeared or
 * went away, command lines, environment by name, open files and sockets, and memory growth.
 * Processes are matched by PID: in one container's PID namespace a PID names one process
 * until it exits; a reused PID shows as a changed command line.
 */
import type { Checkpoint } from '../checkpoint.js';
import { processArgs } from '../cmdline-env.js';
import type { DumpImages } from '../images.js';
import { loadMemoryContext } from '../memory/context.js';
import { memorySummary, type ProcessMemorySummary } from '../memory/summary.js';
import { openFiles, type OpenFile } from '../open-files.js';
import { processTree, type ProcessInfo } from '../ps-tree.js';
import { isSecretEntry, isSecretName, looksLikeSecretValue, MASK } from '../secret-names.js';
import { sockets, type SocketInfo } from '../sockets.js';

export interface ProcessSnapshot {
  processes: ProcessInfo[];
  cmdlines: Map<number, string[]>;
  /** Unmasked: the diff compares real values and masks only what it shows. */
  env: Map<number, Map<string, string>>;
  files: Map<number, OpenFile[]>;
  sockets: SocketInfo[];
  memory: ProcessMemorySummary[];
}

export async function processSnapshot(cp: Checkpoint, images: DumpImages): Promise<ProcessSnapshot> {
  const processes = processTree(images);
  const cmdlines = new Map<number, string[]>();
  const env = new Map<number, Map<string, string>>();
  for (const task of images.tasks) {
    const args = await processArgs(task, await cp.memory(task.pid), true);
    cmdlines.set(task.pid, args.cmdline);
    env.set(task.pid, new Map(args.env.map((e) => [e.name, e.value])));
  }
  return {
    processes,
    cmdlines,
    env,
    files: new Map(openFiles(images).map((p) => [p.pid, p.fds])),
    sockets: sockets(images),
    memory: memorySummary(await loadMemoryContext(cp, { images })),
  };
}

export interface ProcessRef {
  pid: number;
  comm: string;
  cmdline: string[];
}

export interface EnvChange {
  name: string;
  /** Absent when the variable was added; masked when it looks secret (unless asked). */
  a?: string;
  b?: string;
  masked?: boolean;
}

export interface ProcessChange {
  pid: number;
  comm: string;
  /** The command name in A, when it differs. */
  previousComm?: string;
  cmdline?: { a: string[]; b: string[] };
  threads?: { a: number; b: number };
  state?: { a: string; b: string };
  env: EnvChange[];
}

export interface FileChange {
  pid: number;
  fd: number;
  type: string;
  path: string;
  pos?: { a?: number; b?: number };
  size?: { a?: number; b?: number };
}

export interface SocketChange {
  pid: number;
  fd: number;
  description: string;
  state?: { a: string; b: string };
}

export interface MemoryGrowth {
  pid: number;
  comm: string;
  /** Dumped (resident) bytes in A and B; absent when the process is not in that checkpoint. */
  a?: number;
  b?: number;
  delta: number;
  vmas: { a?: number; b?: number };
}

const mask = (name: string, value: string | undefined, show: boolean) =>
  value === undefined || value === '' || show || (!isSecretName(name) && !looksLikeSecretValue(value))
    ? value
    : MASK;

/** An entry without `=` is all name, and may be a secret run together (`SECRET_TOKENabc123`). */
const maskName = (name: string, show: boolean) => (!show && isSecretEntry(name) ? MASK : name);

export function envChanges(
  a: Map<string, string> | undefined,
  b: Map<string, string> | undefined,
  showSecrets: boolean,
): EnvChange[] {
  const out: EnvChange[] = [];
  const names = [...new Set([...(a?.keys() ?? []), ...(b?.keys() ?? [])])].sort();
  for (const name of names) {
    const va = a?.get(name);
    const vb = b?.get(name);
    if (va === vb) continue;
    const bare = (va === undefined || va === '') && (vb === undefined || vb === '');
    const shownName = bare ? maskName(name, showSecrets) : name;
    const change: EnvChange = { name: shownName };
    const ma = mask(name, va, showSecrets);
    const mb = mask(name, vb, showSecrets);
    if (ma !== undefined) change.a = ma;
    if (mb !== undefined) change.b = mb;
    if (ma !== va || mb !== vb || shownName !== name) change.masked = true;
    out.push(change);
  }
  return out;
}

const sameList = (x: string[], y: string[]) => x.length === y.length && x.every((v, i) => v === y[i]);

export function processChanges(
  a: ProcessSnapshot,
  b: ProcessSnapshot,
  showSecrets: boolean,
): { appeared: ProcessRef[]; gone: ProcessRef[]; changed: ProcessChange[]; unchanged: ProcessRef[] } {
  const ref = (s: ProcessSnapshot, p: ProcessInfo): ProcessRef => ({
    pid: p.pid,
    comm: p.comm,
    cmdline: s.cmdlines.get(p.pid) ?? [],
  });
  const inA = new Map(a.processes.map((p) => [p.pid, p]));
  const inB = new Map(b.processes.map((p) => [p.pid, p]));
  const out = {
    appeared: b.processes.filter((p) => !inA.has(p.pid)).map((p) => ref(b, p)),
    gone: a.processes.filter((p) => !inB.has(p.pid)).map((p) => ref(a, p)),
    changed: [] as ProcessChange[],
    unchanged: [] as ProcessRef[],
  };
  for (const pb of b.processes) {
    const pa = inA.get(pb.pid);
    if (!pa) continue;
    const change: ProcessChange = {
      pid: pb.pid,
      comm: pb.comm,
      env: envChanges(a.env.get(pb.pid), b.env.get(pb.pid), showSecrets),
    };
    if (pa.comm !== pb.comm) change.previousComm = pa.comm;
    const [ca, cb] = [a.cmdlines.get(pb.pid) ?? [], b.cmdlines.get(pb.pid) ?? []];
    if (!sameList(ca, cb)) change.cmdline = { a: ca, b: cb };
    if (pa.threads.length !== pb.threads.length)
      change.threads = { a: pa.threads.length, b: pb.threads.length };
    if (pa.state !== pb.state) change.state = { a: pa.state, b: pb.state };
    const changed =
      change.previousComm !== undefined ||
      change.cmdline !== undefined ||
      change.threads !== undefined ||
      change.state !== undefined ||
      change.env.length > 0;
    if (changed) out.changed.push(change);
    else out.unchanged.push(ref(b, pb));
  }
  return out;
}

/** Files of processes in both checkpoints: opened, closed, and moved (position or size). */
export function fileChanges(
  a: ProcessSnapshot,
  b: ProcessSnapshot,
): { opened: FileChange[]; closed: FileChange[]; changed: FileChange[] } {
  const out = { opened: [] as FileChange[], closed: [] as FileChange[], changed: [] as FileChange[] };
  const key = (f: OpenFile) => `${f.fd}\u0000${f.type}\u0000${f.path}`;
  for (const [pid, fdsB] of b.files) {
    const fdsA = a.files.get(pid);
    if (!fdsA) continue;
    const byKeyA = new Map(fdsA.map((f) => [key(f), f]));
    const byKeyB = new Map(fdsB.map((f) => [key(f), f]));
    const ref = (f: OpenFile): FileChange => ({ pid, fd: f.fd, type: f.type, path: f.path });
    for (const f of fdsB) {
      const before = byKeyA.get(key(f));
      if (!before) out.opened.push(ref(f));
      else if (before.pos !== f.pos || before.size !== f.size) {
        out.changed.push({
          ...ref(f),
          pos: { a: before.pos, b: f.pos },
          size: { a: before.size, b: f.size },
        });
      }
    }
    for (const f of fdsA) if (!byKeyB.has(key(f))) out.closed.push(ref(f));
  }
  return out;
}

function describeSocket(s: SocketInfo): string {
  const proto = s.protocol ? `${s.protocol}` : s.type;
  const where =
    s.path !== undefined
      ? ` ${s.path || '(unnamed)'}`
      : ` ${s.local ?? ''}${s.remote ? ` -> ${s.remote}` : ''}`;
  return `${s.family}/${proto}${where} [${s.inode}]`;
}

export function socketChanges(
  a: ProcessSnapshot,
  b: ProcessSnapshot,
): { opened: SocketChange[]; closed: SocketChange[]; changed: SocketChange[] } {
  const pids = new Set(a.processes.map((p) => p.pid).filter((pid) => b.processes.some((p) => p.pid === pid)));
  const key = (s: SocketInfo) => `${s.pid}/${s.fd}/${s.inode}`;
  const inA = new Map(a.sockets.filter((s) => pids.has(s.pid)).map((s) => [key(s), s]));
  const inB = new Map(b.sockets.filter((s) => pids.has(s.pid)).map((s) => [key(s), s]));
  const ref = (s: SocketInfo): SocketChange => ({ pid: s.pid, fd: s.fd, description: describeSocket(s) });
  const out = { opened: [] as SocketChange[], closed: [] as SocketChange[], changed: [] as SocketChange[] };
  for (const [k, s] of inB) {
    const before = inA.get(k);
    if (!before) out.opened.push(ref(s));
    else if (before.state !== s.state)
      out.changed.push({ ...ref(s), state: { a: before.state, b: s.state } });
  }
  for (const [k, s] of inA) if (!inB.has(k)) out.closed.push(ref(s));
  return out;
}

export function memoryGrowth(a: ProcessSnapshot, b: ProcessSnapshot): MemoryGrowth[] {
  const pids = [...new Set([...a.memory, ...b.memory].map((m) => m.pid))].sort((x, y) => x - y);
  return pids.map((pid) => {
    const ma = a.memory.find((m) => m.pid === pid);
    const mb = b.memory.find((m) => m.pid === pid);
    const growth: MemoryGrowth = {
      pid,
      comm: mb?.comm ?? ma?.comm ?? '',
      delta: (mb?.dumpedBytes ?? 0) - (ma?.dumpedBytes ?? 0),
      vmas: {},
    };
    if (ma) {
      growth.a = ma.dumpedBytes;
      growth.vmas.a = ma.vmaCount;
    }
    if (mb) {
      growth.b = mb.dumpedBytes;
      growth.vmas.b = mb.vmaCount;
    }
    return growth;
  });
}
