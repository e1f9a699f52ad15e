/**
 * The CLI program: global flags, command registration, and the one place where errors turn
 * into `error:`/`hint:` lines and exit codes. It returns the exit code; only bin/ exits.
 */
import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands/index.js';
import type { CliContext, CliIo } from './context.js';
import { reportError } from './report-error.js';

export { VERSION } from '../version.js';
import { VERSION } from '../version.js';

function buildProgram(ctx: CliContext): Command {
  const program = new Command('kcr')
    .description('Kubernetes Checkpoint & Restore: checkpoint, inspect, image and restore running containers')
    .version(VERSION, '--version')
    .option('--debug', 'print stack traces for unexpected errors')
    .option('-q, --quiet', 'no progress bars or informational messages on stderr')
    .showHelpAfterError(false)
    .configureOutput({
      writeOut: (s) => void ctx.io.stdout.write(s),
      writeErr: (s) => void ctx.io.stderr.write(s),
    })
    .exitOverride()
    .hook('preAction', (thisCommand) => {
      const opts = thisCommand.optsWithGlobals<{ debug?: boolean; quiet?: boolean }>();
      ctx.debug = Boolean(opts.debug);
      ctx.quiet = Boolean(opts.quiet);
    });
  program.configureHelp({ sortSubcommands: false, showGlobalOptions: true });
  registerCommands(program, ctx);
  // Every subcommand shares the output routing and throws instead of exiting.
  const apply = (cmd: Command) => {
    cmd.exitOverride().configureOutput({
      writeOut: (s) => void ctx.io.stdout.write(s),
      writeErr: (s) => void ctx.io.stderr.write(s),
    });
    cmd.commands.forEach(apply);
  };
  program.commands.forEach(apply);
  return program;
}

/** Runs kcr with `argv` (without node and script), returning the exit code. */
export async function runCli(argv: readonly string[], io: CliIo, signal?: AbortSignal): Promise<number> {
  const ctx: CliContext = {
    io,
    exitCode: 0,
    debug: argv.includes('--debug'),
    quiet: argv.includes('-q') || argv.includes('--quiet'),
    signal: signal ?? new AbortController().signal,
  };
  const program = buildProgram(ctx);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message; help and version are not errors.
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
      ) {
        return 0;
      }
      if (err.code === 'commander.executeSubCommandAsync') return 0;
      io.stderr.write("hint: run 'kcr --help' or 'kcr COMMAND --help' for usage\n");
      return 1;
    }
    return reportError(ctx, err);
  }
}
