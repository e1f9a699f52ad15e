import { KcrError } from '../errors.js';
/** Human-readable sizes (binary units, as `ls -h` and kubectl print them). */
export function formatBytes(bytes: number | bigint): string {
  let value = Number(bytes);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${value} B`;
  return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} ${units[unit]}`;
}

/** Microseconds as CRIU reports them, shown in milliseconds. */
export function formatMicros(us: number): string {
  return `${(us / 1000).toFixed(us < 10_000 ? 3 : 1)} ms`;
}

export function hex(value: bigint | number, width = 0): string {
  return '0x' + value.toString(16).padStart(width, '0');
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
