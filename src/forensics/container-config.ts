/**
 * What the engine recorded about the container, beside the CRIU images: the environment it was
 * configured with (spec.dump `process.env`) and the metadata view (spec.dump's annotations and
 * config.dump's fields, as checkpointctl's Metadata section shows them). Secret-looking values
 * are masked like the environment read from memory.
 */
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

export function containerMetadata(cp: Checkpoint, showSecrets: boolean): ContainerMetadata {
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
  if (masked) out.masked = masked;
  return out;
}
