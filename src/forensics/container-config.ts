/**
 * What the engine recorded about the container, beside the CRIU images: the environment it was
 * configured with (spec.dump `process.env`) and the metadata view (spec.dump's annotations and
 * config.dump's fields, as checkpointctl's Metadata section shows them, plus containerd's
 * status.dump and status). Secret-looking values are masked like the environment read from memory.
 */
import { containerdStatusSchema, criStatusDumpSchema, readOptionalJson } from '../archive/metadata.js';
import type { Checkpoint } from './checkpoint.js';
import { maskEnv, parseEnviron, type EnvVar } from './cmdline-env.js';
import { isSecretName, looksLikeSecretValue, MASK } from './secret-names.js';

export interface ContainerMetadata {
  /** spec.dump `annotations`, by key. */
  annotations: Record<string, string>;
  /**
   * config.dump's top-level plain fields (id, name, rootfsImage*, runtime, times, restored).
   * Podman nests its whole container config there (spec, env included); nested objects are left
   * out and named in `configNested`, since `--env` and `--mounts` show what matters of them.
   */
  config?: Record<string, string | number | boolean>;
  configNested?: string[];
  /**
   * containerd's status.dump (the CRI ContainerStatus) and status (its own record): plain fields,
   * one level of objects flattened (`metadata.name`, `image.image`). Their Unix-nanosecond times
   * are RFC 3339 with all nine digits, read from the member's text: as JSON numbers they exceed
   * 2^53 and would lose the last digits.
   */
  statusDump?: Record<string, string | number | boolean>;
  status?: Record<string, string | number | boolean>;
  /** spec.dump `process`: what the runtime started. */
  process?: { args?: string[]; cwd?: string; uid?: number; gid?: number; terminal?: boolean };
  hostname?: string;
  /** Values replaced by the mask (annotations or config fields). */
  masked?: number;
}

/** spec.dump `process.env` as the container was configured (later duplicates win at exec). */
export function configuredEnv(cp: Checkpoint, showSecrets: boolean): EnvVar[] {
  const env = cp.metadata.spec.process?.env ?? [];
  return maskEnv(parseEnviron(Buffer.from(env.map((e) => e + '\0').join(''))), showSecrets);
}

/** Last word of an annotation key (`io.kubernetes.x/some-token` → `some-token`), as a variable name. */
const keyName = (key: string) => key.split(/[./]/).pop() ?? key;

function maskValue(key: string, value: string, showSecrets: boolean): string {
  if (showSecrets || value === '') return value;
  return isSecretName(keyName(key).replace(/-/g, '_')) || looksLikeSecretValue(value) ? MASK : value;
}

type Plain = Record<string, string | number | boolean>;

/** containerd's nanosecond time fields, in `status` and in `status.dump`. */
const NANOS_FIELDS = new Set([
  'CreatedAt',
  'StartedAt',
  'FinishedAt',
  'created_at',
  'started_at',
  'finished_at',
]);

/** `1796173433335596349` (Unix ns) to `2026-12-02T01:03:53.335596349Z`, exactly; 0 stays 0 ("never"). */
export function nanosToRfc3339(digits: string): string | number {
  const ns = BigInt(digits);
  if (ns === 0n) return 0;
  const seconds = new Date(Number(ns / 1_000_000_000n) * 1000).toISOString().slice(0, 19);
  return `${seconds}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}Z`;
}

/**
 * The top-level time fields' exact digits, from the JSON text. A key in quotes followed by a colon
 * cannot occur inside a JSON string (its quotes would be escaped), so this finds only real keys.
 */
function exactNanos(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/"(\w+)"\s*:\s*(\d+)/g)) if (NANOS_FIELDS.has(m[1]!)) out.set(m[1]!, m[2]!);
  return out;
}

/** Plain fields of a containerd status document, one level of objects flattened, times as RFC 3339. */
async function statusFields(cp: Checkpoint, member: 'status' | 'status.dump'): Promise<Plain | undefined> {
  const schema = member === 'status' ? containerdStatusSchema : criStatusDumpSchema;
  const doc = await readOptionalJson(cp.archive, member, schema);
  if (!doc) return undefined;
  const nanos = exactNanos((await cp.archive.read(member)).toString('utf8'));
  const out: Plain = {};
  const add = (key: string, value: unknown) => {
    if (typeof value === 'string' || typeof value === 'boolean') out[key] = value;
    else if (typeof value === 'number') {
      const digits = NANOS_FIELDS.has(key) ? nanos.get(key) : undefined;
      out[key] = digits ? nanosToRfc3339(digits) : value;
    }
  };
  for (const [key, value] of Object.entries(doc)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [inner, v] of Object.entries(value)) add(`${key}.${inner}`, v);
    } else add(key, value);
  }
  return out;
}

export async function containerMetadata(cp: Checkpoint, showSecrets: boolean): Promise<ContainerMetadata> {
  const { spec, config } = cp.metadata;
  let masked = 0;
  const mask = (key: string, value: string) => {
    const out = maskValue(key, value, showSecrets);
    if (out !== value) masked++;
    return out;
  };
  const annotations = Object.fromEntries(
    Object.entries(spec.annotations ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, mask(k, v)]),
  );
  const out: ContainerMetadata = { annotations };
  if (config) {
    const plain: Record<string, string | number | boolean> = {};
    const nested: string[] = [];
    for (const [key, value] of Object.entries(config)) {
      if (typeof value === 'string') plain[key] = mask(key, value);
      else if (typeof value === 'number' || typeof value === 'boolean') plain[key] = value;
      else if (value !== null && value !== undefined) nested.push(key);
    }
    out.config = plain;
    if (nested.length) out.configNested = nested.sort();
  }
  const p = spec.process;
  if (p) {
    const process: NonNullable<ContainerMetadata['process']> = {};
    if (p.args) process.args = p.args;
    if (p.cwd !== undefined) process.cwd = p.cwd;
    if (p.user?.uid !== undefined) process.uid = p.user.uid;
    if (p.user?.gid !== undefined) process.gid = p.user.gid;
    if (p.terminal !== undefined) process.terminal = p.terminal;
    out.process = process;
  }
  if (spec.hostname) out.hostname = spec.hostname;
  for (const [member, key] of [
    ['status.dump', 'statusDump'],
    ['status', 'status'],
  ] as const) {
    const fields = await statusFields(cp, member);
    if (fields)
      out[key] = Object.fromEntries(
        Object.entries(fields).map(([k, v]) => [k, typeof v === 'string' ? mask(k, v) : v]),
      );
  }
  if (masked) out.masked = masked;
  return out;
}
