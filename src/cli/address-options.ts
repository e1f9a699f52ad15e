/** Flag parsers for memory addresses and sizes; they throw usage errors (exit 1) that name the flag. */
import { InvalidArgumentError } from 'commander';

export const ARCHIVE_ARG = 'checkpoint archive (.tar, .tar.gz, .tar.zst) or extracted checkpoint directory';

/**
 * `0x7ffe2a8ecfc2` or `7ffe2a8ecfc2` (hex, as maps and kcr print addresses) or `4096` (decimal:
 * only digits). Returns a bigint: user-space addresses exceed 2^53.
 */
export function address(flag: string) {
  return (value: string): bigint => {
    const v = value.trim().toLowerCase();
    if (/^0x[0-9a-f]+$/.test(v)) return BigInt(v);
    if (/^\d+$/.test(v)) return BigInt(v);
    if (/^[0-9a-f]+$/.test(v)) return BigInt('0x' + v);
    throw new InvalidArgumentError(`${flag} takes an address such as 0x7ffe2a8ecfc2, got "${value}"`);
  };
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** A byte count: `4096`, `0x1000`, `4k`, `16m`, `1g` (binary units). */
export function byteSize(flag: string) {
  return (value: string): number => {
    const v = value.trim().toLowerCase();
    const hex = /^0x([0-9a-f]+)$/.exec(v);
    const dec = /^(\d+)([kmg]?)(i?b)?$/.exec(v);
    const n = hex ? parseInt(hex[1]!, 16) : dec ? parseInt(dec[1]!, 10) * UNITS[dec[2]!]! : NaN;
    if (!Number.isSafeInteger(n)) {
      throw new InvalidArgumentError(`${flag} takes a byte count such as 4096, 0x1000 or 4k, got "${value}"`);
    }
    return n;
  };
}
