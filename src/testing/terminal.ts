/**
 * A real terminal for CLI tests: tmux runs a command in a detached pane of a fixed size, and the
 * test reads the screen as a user would see it. `lines` are the screen rows (with scrollback);
 * `joined` glues rows the terminal wrapped, so a line longer than the width shows as one.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const EXIT_MARK = '__kcr_exit__:';
let sessions = 0;

export interface TerminalRun {
  exitCode: number;
  /** Screen rows, scrollback included, up to the exit line. */
  lines: string[];
  /** The same with wrapped rows joined: one entry per line the program wrote. */
  joined: string[];
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

async function capture(socket: string, joinWrapped: boolean): Promise<string[]> {
  const args = ['-L', socket, 'capture-pane', '-p', '-S', '-', '-t', 'kcr'];
  if (joinWrapped) args.push('-J');
  const { stdout } = await run('tmux', args);
  return stdout.split('\n');
}

function untilExit(lines: string[]): { body: string[]; code: number } | undefined {
  const at = lines.findIndex((l) => l.startsWith(EXIT_MARK));
  if (at < 0) return undefined;
  const body = lines.slice(0, at);
  while (body.length && body[body.length - 1]!.trim() === '') body.pop();
  return { body, code: Number(lines[at]!.slice(EXIT_MARK.length)) };
}

/** Runs `argv` (argv[0] is the program) in a `columns`×`rows` tmux pane and returns the screen. */
export async function runInTerminal(
  argv: string[],
  options: {
    columns?: number;
    rows?: number;
    env?: Record<string, string>;
    cwd?: string;
    timeoutMs?: number;
  } = {},
): Promise<TerminalRun> {
  const { columns = 80, rows = 50, timeoutMs = 60_000 } = options;
  const dir = await mkdtemp(join(tmpdir(), 'kcr-tty-'));
  const socket = `kcr-test-${process.pid}-${++sessions}`;
  const script = join(dir, 'run.sh');
  const exports = Object.entries(options.env ?? {}).map(([k, v]) => `export ${k}=${quote(v)}`);
  await writeFile(
    script,
    [
      ...exports,
      `cd ${quote(options.cwd ?? process.cwd())}`,
      argv.map(quote).join(' '),
      `echo "${EXIT_MARK}$?"`,
      'sleep 600',
    ].join('\n') + '\n',
  );
  try {
    await run('tmux', [
      '-L',
      socket,
      '-f',
      '/dev/null',
      'new-session',
      '-d',
      '-s',
      'kcr',
      '-x',
      String(columns),
      '-y',
      String(rows),
      `sh ${quote(script)}`,
    ]);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const joined = untilExit(await capture(socket, true));
      if (joined) {
        const lines = untilExit(await capture(socket, false))!;
        return { exitCode: joined.code, lines: lines.body, joined: joined.body };
      }
      if (Date.now() > deadline) throw new Error(`${argv.join(' ')}: no exit within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await run('tmux', ['-L', socket, 'kill-server']).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
