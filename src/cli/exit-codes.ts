/**
 * kcr's exit codes, decided here and nowhere else (the README's "Conventions" says the same):
 * 0 success; 1 a usage error (a flag, argument or value kcr cannot take: an unknown flag or -o
 * format, a selector, duration, size or number that does not parse); 2 any other error; 3 a
 * finding (`secrets`, `doctor`, `verify`, set by those commands); 130 interrupted (bin.ts).
 *
 * A command whose exit 1 is an answer (`kcr mem search`: nothing matched, as grep's is) exits 2
 * for every error, a usage error or a bad pattern included, as grep does: a script then tells
 * "not there" (1) from "could not look" (2) by the code alone.
 */
import type { KcrErrorCode } from '../errors.js';

export const EXIT_USAGE = 1;
export const EXIT_ERROR = 2;

/** The commands (by path, as `ctx.command` holds it) whose exit 1 means "nothing matched". */
const ONE_MEANS_NO_MATCH: ReadonlySet<string> = new Set(['kcr mem search']);

/** The exit code of an error that ends `command` (undefined: not known yet, or kcr itself). */
export function errorExitCode(code: KcrErrorCode, command: string | undefined): number {
  if (code !== 'usage') return EXIT_ERROR;
  return command !== undefined && ONE_MEANS_NO_MATCH.has(command) ? EXIT_ERROR : EXIT_USAGE;
}

/** The "Exit status" lines of `kcr mem search --help` (lines under 80 columns). */
export const NO_MATCH_EXIT_HELP = [
  '',
  'Exit status, as grep: 0 when something matched, 1 when nothing did, 2 on any',
  'error (a bad pattern or flag included).',
].join('\n');
