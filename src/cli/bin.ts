/** The executable's entry point (bin/kcr.js): kcr with every command. */
import { runAsProcess } from './as-process.js';
import { runCli } from './main.js';

export function main(argv: readonly string[]): Promise<never> {
  return runAsProcess((io, signal) => runCli(argv, io, signal));
}
