/** Flag parsers shared by commands; they throw usage errors (exit 1) that name the flag. */
import { InvalidArgumentError } from 'commander';
import { KcrError } from '../errors.js';

export function choice<T extends string>(flag: string, allowed: readonly T[]) {
  return (value: string): T => {
    if ((allowed as readonly string[]).includes(value)) return value as T;
    throw new InvalidArgumentError(`${flag} must be one of ${allowed.join(', ')}`);
  };
}

export function positiveInt(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${flag} takes a whole number, got "${value}"`);
    return parseInt(value, 10);
  };
}

export function integer(flag: string) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value))
      throw new InvalidArgumentError(`${flag} takes a whole number, got "${value}"`);
    return parseInt(value, 10);
  };
}

/**
 * The `-o` rule, one for every command: `-o/--output` is always an output format; files take
 * `--output-file PATH` (or a positional path). A value that is not a format is refused with a hint
 * naming the flag that takes paths, so `kcr checkpoint web -o json` never writes a file called json.
 */
export function outputFormat<T extends string>(
  allowed: readonly T[],
  opts: { aliases?: Readonly<Record<string, T>>; fileFlag?: string } = {},
) {
  return (value: string): T => {
    if ((allowed as readonly string[]).includes(value)) return value as T;
    if (opts.aliases && Object.hasOwn(opts.aliases, value)) return opts.aliases[value]!;
    const list = allowed.join(', ');
    const hint = opts.fileFlag
      ? `-o chooses the output format (${list}); write to ${value === '-' ? 'stdout' : 'a file'} with ${opts.fileFlag} ${value}`
      : /[/.\\]/.test(value) || value === '-'
        ? `-o chooses the output format (${list}); the result goes to stdout, so redirect it: > ${value}`
        : `use one of ${list}`;
    throw new KcrError('usage', `-o/--output takes an output format (${list}), not "${value}"`, { hint });
  };
}

/**
 * `-o` on a command that writes bytes and prints no formatted result (rootfs extract, mem dump):
 * registered hidden, so a path given to it gets the same refusal instead of "unknown option".
 */
export function formatlessOutput(command: string, fileFlag: string) {
  return (value: string): never => {
    throw new KcrError('usage', `${command} has no output format; -o/--output is not a path`, {
      hint: `write to ${value === '-' ? 'stdout' : 'a file'} with ${fileFlag} ${value}`,
    });
  };
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90m`, `24h`, `7d`, `1h30m`: a duration as kubectl and Go write them (plus d and w), in ms. */
export function parseDuration(flag: string, text: string): number {
  const parts = [...text.matchAll(/(\d+)([smhdw])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new KcrError('usage', `${flag} ${text}: not a duration`, {
      hint: 'use a number and a unit: 90m, 24h, 7d, 2w, 1h30m',
    });
  }
  return parts.reduce((ms, p) => ms + Number(p[1]) * UNIT_MS[p[2]!]!, 0);
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  ki: 1024,
  kib: 1024,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
  ti: 1024 ** 4,
  tib: 1024 ** 4,
};

/** `20GiB`, `500Mi`, `1.5G`, `1000000`: a size in bytes (binary and decimal units, as kubectl takes). */
export function parseSize(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim());
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new KcrError('usage', `${flag} ${text}: not a size`, {
      hint: 'use a number and a unit: 500MiB, 20GiB, 1.5GB',
    });
  }
  return Math.floor(Number(m[1]) * unit);
}
