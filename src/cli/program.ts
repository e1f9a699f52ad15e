/**
 * The CLI program over a table of commands: global flags, command registration, and the one place
 * where errors turn into `error:`/`hint:` lines and exit codes. It returns the exit code; only the
 * process entry (as-process.ts) exits. main.ts runs it over every command; a fast entry (fast/)
 * over one.
 */
import { Command, CommanderError } from 'commander';
import { PlaceholderRan, registerCommandsFor } from './command-loader.js';
import type { CommandEntry } from './commands/index.js';
import type { CliContext, CliIo } from './context.js';
import { KcrError } from '../errors.js';
import { guardStream } from './output/escape.js';
import { errorExitCode } from './exit-codes.js';
import { reportError } from './report-error.js';
import { parseSize } from './options.js';

import { VERSION } from '../version.js';

/** Where commander's own usage errors are kept (it reports them through `outputError`). */
interface UsageSlot {
  command?: string;
}

/** Help is wrapped one column short of the terminal, so no line lands on the last column. */
function helpWidth(ctx: CliContext): number {
  return (ctx.io.stdout.isTTY && ctx.io.stdout.columns ? ctx.io.stdout.columns : 80) - 1;
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The program with the commands `argv` needs loaded (every command with `all`). */
async function buildProgram(
  commands: readonly CommandEntry[],
  ctx: CliContext,
  usage: UsageSlot,
  argv: readonly string[],
  all: boolean,
): Promise<Command> {
  const program = new Command('kcr')
    .description('Kubernetes Checkpoint & Restore: checkpoint, inspect, image and restore running containers')
    .version(VERSION, '--version')
    .option('--debug', 'print stack traces for unexpected errors')
    .option('-q, --quiet', 'no progress bars or informational messages on stderr')
    .option(
      '--max-inflate <size>',
      'a compressed archive may inflate to at most this much (default: free space in KCR_TMPDIR minus 5%)',
    )
    .showHelpAfterError(false)
    .configureOutput({
      writeOut: (s) => void ctx.io.stdout.write(s),
      writeErr: (s) => void ctx.io.stderr.write(s),
      getOutHelpWidth: () => helpWidth(ctx),
      getErrHelpWidth: () => helpWidth(ctx),
      // runProgram prints usage errors itself, as one error line and one hint naming the command.
      outputError: () => void (usage.command = 'kcr'),
    })
    .exitOverride()
    .hook('preSubcommand', (_thisCommand, sub) => void (ctx.command = commandPath(sub)))
    .hook('preAction', (thisCommand, actionCommand) => {
      ctx.command = commandPath(actionCommand);
      const opts = thisCommand.optsWithGlobals<{ debug?: boolean; quiet?: boolean; maxInflate?: string }>();
      ctx.debug = Boolean(opts.debug);
      ctx.quiet = Boolean(opts.quiet);
      if (opts.maxInflate !== undefined)
        ctx.archive = { ...ctx.archive, maxInflatedBytes: parseSize('--max-inflate', opts.maxInflate) };
    });
  // Descriptions wrap even beside long flags, so help fits an 80-column terminal.
  program.configureHelp({ sortSubcommands: false, showGlobalOptions: true, minWidthToWrap: 24 });
  await registerCommandsFor(program, ctx, argv, commands, all);
  // Every subcommand shares the output routing and throws instead of exiting.
  // The command is known before its flags are parsed (preSubcommand), so an error in a flag's value
  // gets that command's exit code (exit-codes.ts).
  const apply = (cmd: Command) => {
    cmd.hook('preSubcommand', (_thisCommand, sub) => void (ctx.command = commandPath(sub)));
    cmd.exitOverride().configureOutput({
      writeOut: (s) => void ctx.io.stdout.write(s),
      writeErr: (s) => void ctx.io.stderr.write(s),
      getOutHelpWidth: () => helpWidth(ctx),
      getErrHelpWidth: () => helpWidth(ctx),
      outputError: () => void (usage.command = commandPath(cmd)),
    });
    cmd.commands.forEach(apply);
  };
  program.commands.forEach(apply);
  return program;
}

/**
 * Commander's usage errors as kcr prints every error: one `error:` line, and one `hint:` line that
 * carries commander's "did you mean" and names the command whose help to read.
 */
function printUsageError(ctx: CliContext, err: CommanderError, command: string): number {
  const [raw = '', ...rest] = err.message.replace(/^error: /, '').split('\n');
  // Commander names the option and value before the parser's own message, which names both again.
  const first = raw.replace(
    /^(option '[^']*' argument|command-argument value) '.*?' is invalid[^.]*\. (?=\S)/,
    '',
  );
  const suggestion = /\(Did you mean (.*)\?\)/.exec(rest.join(' '))?.[1];
  const help = `'${command} --help'`;
  ctx.io.stderr.write(`error: ${command === 'kcr' ? '' : `${command.replace(/^kcr /, '')}: `}${first}\n`);
  ctx.io.stderr.write(`hint: ${suggestion ? `did you mean ${suggestion}? ` : ''}run ${help} for usage\n`);
  return errorExitCode('usage', command);
}

/**
 * kubectl spells it `--dry-run=client` (and `none`, `server`). kcr's --dry-run is client-side:
 * `=client` is the same flag, `=none` is no dry run, and `=server` is refused. Done on argv, so the
 * flag stays a plain boolean (an optional value would swallow `restore --dry-run ARCHIVE`).
 */
function kubectlDryRun(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const [i, arg] of argv.entries()) {
    if (arg === '--') return [...out, ...argv.slice(i)];
    const m = /^--dry-run=(.*)$/.exec(arg);
    if (!m) out.push(arg);
    else if (m[1] === 'client') out.push('--dry-run');
    else if (m[1] !== 'none') {
      throw new KcrError('usage', `--dry-run=${m[1]}: kcr dry runs are client-side only`, {
        hint: 'use --dry-run (or --dry-run=client): kcr prints what it would create and creates nothing',
      });
    }
  }
  return out;
}

/**
 * `io` with stdout and stderr through the terminal-safety escape. Field by field, not a spread: a
 * spread would read `stdin`, which processIo builds only when a command first reads it.
 */
function guardedIo(io: CliIo): CliIo {
  return {
    stdout: guardStream(io.stdout),
    stderr: guardStream(io.stderr),
    get stdin() {
      return io.stdin;
    },
    env: io.env,
    cwd: io.cwd,
    ...(io.serviceAccountDir !== undefined ? { serviceAccountDir: io.serviceAccountDir } : {}),
  };
}

/** Runs kcr, with the commands of `commands`, on `argv` (without node and script); returns the exit code. */
export async function runProgram(
  commands: readonly CommandEntry[],
  argv: readonly string[],
  io: CliIo,
  signal?: AbortSignal,
): Promise<number> {
  // Every string kcr prints passes the terminal-safety escape; bars draw on the raw stderr.
  const ctx: CliContext = {
    io: guardedIo(io),
    terminal: io.stderr,
    exitCode: 0,
    debug: argv.includes('--debug'),
    quiet: argv.includes('-q') || argv.includes('--quiet'),
    signal: signal ?? new AbortController().signal,
    archive: {},
  };
  ctx.archive.signal = ctx.signal;
  const usage: UsageSlot = {};
  const run = async (all: boolean) => {
    const args = kubectlDryRun(argv);
    const program = await buildProgram(commands, ctx, usage, args, all);
    await program.parseAsync(args, { from: 'user' });
  };
  try {
    await run(false).catch((err: unknown) => {
      if (err instanceof PlaceholderRan) return run(true);
      throw err;
    });
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
      return printUsageError(ctx, err, usage.command ?? 'kcr');
    }
    return reportError(ctx, err);
  }
}
