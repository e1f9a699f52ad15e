/**
 * Command lines and environments, read from the dumped stack pages through the pagemap,
 * with the rules the kernel uses for /proc/PID/cmdline and /proc/PID/environ.
 */
import type { ProcessMemory } from '../criu/memory.js';
import type { TaskImages } from './images.js';
import { isSecretName, looksLikeSecretValue, MASK } from './secret-names.js';

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

/** Reads the argv and environ ranges of a task (mm_arg_start..mm_arg_end, mm_env_start..mm_env_end). */
export async function readRawArgs(task: TaskImages, memory: ProcessMemory): Promise<RawArgs | undefined> {
  const mm = task.mm;
  if (!mm?.mm_arg_start || !mm.mm_arg_end || mm.mm_arg_end < mm.mm_arg_start) return undefined;
  const argStart = mm.mm_arg_start;
  const argEnd = mm.mm_arg_end;
  const envStart = mm.mm_env_start ?? argEnd;
  const envEnd = mm.mm_env_end ?? envStart;
  const args = await memory.read(argStart, Number(argEnd - argStart));
  const env =
    envEnd > envStart
      ? await memory.read(envStart, Number(envEnd - envStart))
      : { data: Buffer.alloc(0), missing: [] };
  const raw: RawArgs = {
    args: args.data,
    env: env.data,
    incomplete: args.missing.length + env.missing.length > 0,
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
  const parts = latin1OrUtf8(raw.args).split('\0');
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  let end = parts.length;
  while (end > 0 && parts[end - 1] === '') end--;
  if (parts.length - end >= REWRITE_PADDING && end > 0)
    return { cmdline: parts.slice(0, end), titleRewritten: true };
  return { cmdline: parts, titleRewritten: false };
}

/** Splits the environ block; entries without `=` are kept whole as names (lenient, unlike checkpointctl). */
export function parseEnviron(env: Buffer): Array<{ name: string; value: string }> {
  return latin1OrUtf8(env)
    .split('\0')
    .filter((entry) => entry !== '')
    .map((entry) => {
      const eq = entry.indexOf('=');
      return eq > 0 ? { name: entry.slice(0, eq), value: entry.slice(eq + 1) } : { name: entry, value: '' };
    });
}

export function maskEnv(env: Array<{ name: string; value: string }>, showSecrets: boolean): EnvVar[] {
  return env.map(({ name, value }) => {
    if (showSecrets || value === '' || (!isSecretName(name) && !looksLikeSecretValue(value)))
      return { name, value };
    return { name, value: MASK, masked: true };
  });
}

export async function processArgs(
  task: TaskImages,
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
