/** Flag parsers shared by commands; they throw usage errors (exit 1) that name the flag. */
import { InvalidArgumentError } from 'commander';
import { KcrError } from '../errors.js';
import { parseDuration } from '../util/units.js';

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

/**
 * A `--timeout`, as kubectl takes it (`30s`, `5m`, `1h30m`) or as a whole number of seconds (what
 * kcr took first): the number of seconds, at least 1.
 */
export function timeoutSeconds(flag: string) {
  return (value: string): number => {
    if (/^\d+$/.test(value)) {
      const seconds = parseInt(value, 10);
      if (seconds > 0) return seconds;
    } else if (/^(\d+[smhdw])+$/.test(value)) {
      const ms = parseDuration(flag, value);
      if (ms >= 1000 && ms % 1000 === 0) return ms / 1000;
    }
    throw new InvalidArgumentError(`${flag} takes a duration (90s, 5m) or seconds above 0, got "${value}"`);
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

/** Durations and sizes are parsed where the library can use them too (the controller's retention). */
export { parseDuration, parseSize } from '../util/units.js';
