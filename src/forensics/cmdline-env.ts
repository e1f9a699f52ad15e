/**
 * Command lines and environments, read from the dumped stack pages through the pagemap,
 * with the rules the kernel uses for /proc/PID/cmdline and /proc/PID/environ.
 */
import type { ProcessMemory } from '../criu/memory.js';
import type { TaskImages } from './images.js';

/** What reading a process's arguments needs of it: its mm (where argv and environ lie). */
type ArgsTask = Pick<TaskImages, 'pid' | 'zombie' | 'mm'>;
import { isSecretEntry, isSecretName, looksLikeSecretValue, MASK } from './secret-names.js';

export interface EnvVar {
  name: string;
  value: string;
  /** True when the value was replaced by the mask. */
  masked?: boolean;
}

export interface ProcessArgs {
  pid: number;
  cmdline: string[];
  env: EnvVar[];
  /** The process rewrote its argv (setproctitle) into the environment area. */
  titleRewritten?: boolean;
  /** Part of the ranges was not in the dump (read as zeros). */
  incomplete?: boolean;
}

export interface RawArgs {
  args: Buffer;
  /** The bytes from arg_start to env_end, when the kernel's setproctitle rule applies. */
  title?: Buffer;
  env: Buffer;
  incomplete: boolean;
}

const latin1OrUtf8 = (buf: Buffer) => buf.toString('utf8');

/**
 * The most kcr reads of one argv or environ range. The kernel caps argv plus environment at a
 * quarter of the stack limit and never above 6 MiB (3/4 of _STK_LIM), so a larger range in mm.img is
 * not a process's but a crafted archive's (300 MiB once crashed V8); the first 8 MiB are read, and
 * the process is marked incomplete.
 */
export const MAX_ARGS_RANGE = 8 * 1024 * 1024;

/** Reads `[start, end)` up to MAX_ARGS_RANGE; `cut` says whether the range was longer. */
async function readRange(
  memory: ProcessMemory,
  start: bigint,
  end: bigint,
): Promise<{ data: Buffer; missing: unknown[]; cut: boolean }> {
  if (end <= start) return { data: Buffer.alloc(0), missing: [], cut: false };
  const length = end - start;
  const cut = length > BigInt(MAX_ARGS_RANGE);
  const read = await memory.read(start, cut ? MAX_ARGS_RANGE : Number(length));
  return { ...read, cut };
}

/** Reads the argv and environ ranges of a task (mm_arg_start..mm_arg_end, mm_env_start..mm_env_end). */
export async function readRawArgs(task: ArgsTask, memory: ProcessMemory): Promise<RawArgs | undefined> {
  const mm = task.mm;
  if (!mm?.mm_arg_start || !mm.mm_arg_end || mm.mm_arg_end < mm.mm_arg_start) return undefined;
  const argStart = mm.mm_arg_start;
  const argEnd = mm.mm_arg_end;
  const envStart = mm.mm_env_start ?? argEnd;
  const envEnd = mm.mm_env_end ?? envStart;
  const args = await readRange(memory, argStart, argEnd);
  const env = await readRange(memory, envStart, envEnd);
  const raw: RawArgs = {
    args: args.data,
    env: env.data,
    incomplete: args.missing.length + env.missing.length > 0 || args.cut || env.cut,
  };
  // Kernel rule: if the byte before arg_end is not NUL, the program overwrote its argv and the
  // title may run on into the environment (only when the two areas are contiguous).
  if (
    args.data.length > 0 &&
    args.data[args.data.length - 1] !== 0 &&
    envStart === argEnd &&
    envEnd > argEnd
  ) {
    raw.title = Buffer.concat([args.data, env.data]);
  }
  return raw;
}

/**
 * At most this many strings from one block: a range of a few MiB read as zeros (pages not in the
 * dump, or a crafted mm.img) would otherwise become millions of empty arguments.
 */
const MAX_STRINGS = 65536;

/** The NUL-separated strings of a block, without the trailing NULs, and at most MAX_STRINGS. */
function nulSeparated(block: Buffer, keepEmpty: boolean): string[] {
  let end = block.length;
  while (end > 0 && block[end - 1] === 0) end--;
  const out: string[] = [];
  for (let at = 0; at < end && out.length < MAX_STRINGS;) {
    const nul = block.indexOf(0, at);
    const stop = nul === -1 || nul > end ? end : nul;
    if (stop > at || keepEmpty) out.push(latin1OrUtf8(block.subarray(at, stop)));
    at = stop + 1;
  }
  return out;
}

export function parseCmdline(raw: Pick<RawArgs, 'args' | 'title'>, pageSize = 4096): string[] {
  return parseCommandLine(raw, pageSize).cmdline;
}

/**
 * Trailing empty arguments at which a title rewrite is assumed: setproctitle (redis, postgres)
 * writes the title over argv[0] and zeroes the rest of the argv area, which reads as dozens of
 * "" arguments. One trailing "" is a real (if rare) argument and is kept.
 */
const REWRITE_PADDING = 2;

/** The command line and whether the process rewrote it (by either rule). */
export function parseCommandLine(
  raw: Pick<RawArgs, 'args' | 'title'>,
  pageSize = 4096,
): { cmdline: string[]; titleRewritten: boolean } {
  if (raw.title) {
    // get_mm_proctitle: one page from arg_start, up to the first NUL.
    const page = raw.title.subarray(0, pageSize);
    const nul = page.indexOf(0);
    return { cmdline: [latin1OrUtf8(nul === -1 ? page : page.subarray(0, nul))], titleRewritten: true };
  }
  // Counted on the bytes, not on split(): a range of MiBs of zeros would split into millions of "".
  let trailing = 0;
  while (trailing < raw.args.length && raw.args[raw.args.length - 1 - trailing] === 0) trailing++;
  const hasContent = trailing < raw.args.length;
  const parts = hasContent ? nulSeparated(raw.args, true) : trailing > 0 ? [''] : [];
  // split() would give one "" per trailing NUL; the last one only ends the last argument.
  const empties = Math.max(0, trailing - 1);
  if (empties >= REWRITE_PADDING && hasContent) return { cmdline: parts, titleRewritten: true };
  return {
    cmdline: [...parts, ...Array<string>(Math.min(empties, MAX_STRINGS)).fill('')],
    titleRewritten: false,
  };
}

/** Splits the environ block; entries without `=` are kept whole as names (lenient, unlike checkpointctl). */
export function parseEnviron(env: Buffer): Array<{ name: string; value: string }> {
  return nulSeparated(env, false).map((entry) => {
    const eq = entry.indexOf('=');
    return eq > 0 ? { name: entry.slice(0, eq), value: entry.slice(eq + 1) } : { name: entry, value: '' };
  });
}

export function maskEnv(env: Array<{ name: string; value: string }>, showSecrets: boolean): EnvVar[] {
  return env.map(({ name, value }) => {
    if (showSecrets) return { name, value };
    // An entry without `=` is all name: mask it whole when it looks like a secret run together.
    if (value === '') return isSecretEntry(name) ? { name: MASK, value: '', masked: true } : { name, value };
    if (!isSecretName(name) && !looksLikeSecretValue(value)) return { name, value };
    return { name, value: MASK, masked: true };
  });
}

export async function processArgs(
  task: ArgsTask,
  memory: ProcessMemory | undefined,
  showSecrets: boolean,
): Promise<ProcessArgs> {
  // A zombie has no memory at all: its empty command line is the truth (/proc shows the same).
  if (task.zombie) return { pid: task.pid, cmdline: [], env: [] };
  const raw = memory ? await readRawArgs(task, memory) : undefined;
  if (!raw) return { pid: task.pid, cmdline: [], env: [], incomplete: true };
  const { cmdline, titleRewritten } = parseCommandLine(raw, memory?.pageSize);
  const out: ProcessArgs = { pid: task.pid, cmdline, env: maskEnv(parseEnviron(raw.env), showSecrets) };
  if (titleRewritten) out.titleRewritten = true;
  if (raw.incomplete) out.incomplete = true;
  return out;
}
