/** Runs `kcr` in-process with captured stdout/stderr, as a user would see them. */
import { Readable } from 'node:stream';
import { runCli } from '../cli/main.js';
import type { OutputStream } from '../cli/context.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

function capture(columns?: number): OutputStream & { chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  return {
    chunks,
    isTTY: columns !== undefined,
    ...(columns !== undefined ? { columns } : {}),
    write(chunk: string | Uint8Array) {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
      return true;
    },
  };
}

export async function runCliCaptured(
  argv: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    stdin?: string | Buffer;
    signal?: AbortSignal;
    cwd?: string;
    serviceAccountDir?: string;
    /** stdout is a terminal this many columns wide (stderr stays a pipe: no progress bars). */
    terminalColumns?: number;
  } = {},
): Promise<CliResult> {
  const stdout = capture(options.terminalColumns);
  const stderr = capture();
  const code = await runCli(
    argv,
    {
      stdout,
      stderr,
      stdin: Readable.from(options.stdin === undefined ? [] : [options.stdin]),
      env: { ...process.env, ...options.env },
      cwd: options.cwd ?? process.cwd(),
      ...(options.serviceAccountDir ? { serviceAccountDir: options.serviceAccountDir } : {}),
    },
    options.signal,
  );
  const stdoutBytes = Buffer.concat(stdout.chunks);
  return {
    code,
    stdout: stdoutBytes.toString('utf8'),
    stderr: Buffer.concat(stderr.chunks).toString('utf8'),
    stdoutBytes,
  };
}
