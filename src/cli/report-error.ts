/**
 * How an error reaches the user: one `error:` line and one `hint:` line on stderr, the stack only
 * with --debug. main.ts uses it for the error that ends a command; commands over several archives
 * use it for each archive that failed while the others carry on.
 */
import { KcrError, type KcrErrorCode } from '../errors.js';
import type { CliContext } from './context.js';
import { EXIT_ERROR, errorExitCode } from './exit-codes.js';
import { escapeText } from './output/escape.js';

/**
 * The way out when the code that threw gave none: every error gets its `hint:` line. Each says
 * only what holds for every error of its kind; a specific hint where the error is thrown is better.
 */
function fallbackHint(code: KcrErrorCode, command: string, hasCause: boolean): string {
  const detail = hasCause ? '; --debug shows the underlying error' : '';
  switch (code) {
    case 'usage':
      return `run '${command} --help' for usage`;
    case 'invalid-input':
      return `check that the input is what ${command} expects${detail}`;
    case 'not-found':
      return 'check the name or path';
    case 'io':
      return `check the path, its permissions and free space${detail}`;
    case 'integrity':
      return 'the data changed after it was written: copy or fetch it again (kcr verify checks backups)';
    case 'auth':
      return 'check the credentials and what they are allowed to do';
    case 'remote':
      return `the server refused the request${detail}`;
    case 'network':
      return `check that the server is up and reachable from here${detail}`;
    case 'timeout':
      return 'try again, or give it more time with --timeout where the command has it';
    case 'conflict':
      return 'choose another name, or remove the existing one first';
    case 'cancelled':
      return 'nothing was left half-written; run the command again to do it';
  }
}

/** Prints `err` and returns the exit code it stands for (exit-codes.ts). `subject` prefixes a message that does not name it. */
export function reportError(ctx: CliContext, err: unknown, subject?: string): number {
  const { stderr } = ctx.io;
  const about = (message: string) =>
    subject && !message.includes(subject) ? `${subject}: ${message}` : message;
  if (err instanceof KcrError) {
    // One line each: a message naming an archive's file or process must not break the line.
    stderr.write(`error: ${escapeText(about(err.message))}\n`);
    const hint = err.hint ?? fallbackHint(err.code, ctx.command ?? 'kcr', err.cause instanceof Error);
    stderr.write(`hint: ${escapeText(hint)}\n`);
    if (ctx.debug && err.cause instanceof Error && err.cause.stack) stderr.write(`${err.cause.stack}\n`);
    return errorExitCode(err.code, ctx.command);
  }
  // Anything else is a bug in kcr: one line by default, the stack with --debug.
  const message = err instanceof Error ? err.message : String(err);
  stderr.write(`error: internal error: ${about(message)}\n`);
  if (ctx.debug && err instanceof Error && err.stack) stderr.write(`${err.stack}\n`);
  else stderr.write('hint: this is a bug in kcr; run again with --debug and report the output\n');
  return EXIT_ERROR;
}
