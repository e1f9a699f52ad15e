/**
 * A program of one command, for the fast entries beside it. Each is bundled into one file
 * (dist/cli-bundle/fast-NAME.js), which node loads 25-30 ms sooner than the full CLI's entry
 * and the dozens of chunks it imports: a tenth of a quick `kcr mem search`. bin/kcr.js runs one
 * when the command line starts with its name; it behaves as the full CLI does for that command.
 */
import { runAsProcess } from '../as-process.js';
import type { Register } from '../commands/index.js';
import { runProgram } from '../program.js';

export function oneCommandMain(
  name: string,
  register: Register,
): (argv: readonly string[]) => Promise<never> {
  const commands = [{ names: [name], load: () => Promise.resolve(register) }];
  return (argv) => runAsProcess((io, signal) => runProgram(commands, argv, io, signal));
}
