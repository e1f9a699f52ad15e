/** kcr with every command (commands/index.ts): what bin/kcr.js runs for most command lines, and the tests. */
import { COMMANDS } from './commands/index.js';
import type { CliIo } from './context.js';
import { runProgram } from './program.js';

/** Runs kcr with `argv` (without node and script), returning the exit code. */
export function runCli(argv: readonly string[], io: CliIo, signal?: AbortSignal): Promise<number> {
  return runProgram(COMMANDS, argv, io, signal);
}
