/**
 * Registers the commands one command line needs (the full table is commands/index.ts): the command it
 * runs, loaded in full, and for every other command a placeholder holding only its name and
 * aliases, which is all commander needs to suggest a mistyped name. Help without a command, and
 * completion, need every command's flags: then all are loaded.
 */
import type { Command } from 'commander';
import type { CommandEntry } from './commands/index.js';
import type { CliContext } from './context.js';

/**
 * A placeholder was run: commander read the command line differently from `commandWord`. The
 * caller then loads every command and parses again, so a wrong guess costs time, never a result.
 */
export class PlaceholderRan extends Error {
  constructor(readonly command: string) {
    super(`the placeholder of ${command} ran`);
  }
}

/**
 * The command a command line runs, as commander finds it: the first operand, after the program's
 * own options (and their values); for `help NAME`, NAME. Undefined when there is none, or when an
 * option the program does not know comes first (commander reports that).
 */
export function commandWord(program: Command, argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return argv[i + 1];
    if (!arg.startsWith('-') || arg === '-') {
      return arg === 'help' ? commandWord(program, argv.slice(i + 1)) : arg;
    }
    const [flag, value] = arg.split(/=(.*)/s);
    const option = program.options.find((o) => o.long === flag || o.short === flag);
    if (!option) return undefined;
    if (option.required && value === undefined) i++;
  }
  return undefined;
}

function placeholder(program: Command, entry: CommandEntry): void {
  const [name, ...aliases] = entry.names;
  program
    .command(name!)
    .aliases(aliases)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new PlaceholderRan(name!);
    });
}

/**
 * Registers on `program`, in the order of `commands`, the command `argv` runs (every command when
 * it names none, when it needs them all, or with `all`) and placeholders for the rest.
 */
export async function registerCommandsFor(
  program: Command,
  ctx: CliContext,
  argv: readonly string[],
  commands: readonly CommandEntry[],
  all = false,
): Promise<void> {
  const word = all ? undefined : commandWord(program, argv);
  const wanted = word === undefined ? undefined : commands.find((e) => e.names.includes(word));
  const loadAll = word === undefined || wanted?.needsAll === true;
  const loaded = await Promise.all(
    commands.map((entry) => (loadAll || entry === wanted ? entry.load() : undefined)),
  );
  commands.forEach((entry, i) => {
    const register = loaded[i];
    if (register) register(program, ctx);
    else placeholder(program, entry);
  });
}
