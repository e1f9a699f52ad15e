/**
 * How an error reaches the user: one `error:` line and one `hint:` line on stderr, the stack only
 * with --debug. main.ts uses it for the error that ends a command; commands over several archives
 * use it for each archive that failed while the others carry on.
 */
import { KcrError } from '../errors.js';
import type { CliContext } from './context.js';
import { escapeText } from './output/escape.js';

/** Prints `err` and returns the exit code it stands for. `subject` prefixes a message that does not name it. */
export function reportError(ctx: CliContext, err: unknown, subject?: string): number {
  const { stderr } = ctx.io;
  const about = (message: string) =>
    subject && !message.includes(subject) ? `${subject}: ${message}` : message;
  if (err instanceof KcrError) {
    // One line each: a message naming an archive's file or process must not break the line.
    stderr.write(`error: ${escapeText(about(err.message))}\n`);
    if (err.hint) stderr.write(`hint: ${escapeText(err.hint)}\n`);
    if (ctx.debug && err.cause instanceof Error && err.cause.stack) stderr.write(`${err.cause.stack}\n`);
    return err.exitCode;
  }
  // Anything else is a bug in kcr: one line by default, the stack with --debug.
  const message = err instanceof Error ? err.message : String(err);
  stderr.write(`error: internal error: ${about(message)}\n`);
  if (ctx.debug && err instanceof Error && err.stack) stderr.write(`${err.stack}\n`);
  else stderr.write('hint: this is a bug in kcr; run again with --debug and report the output\n');
  return 2;
}
