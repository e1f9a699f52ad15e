import type { OpenOptions } from '../archive/archive.js';

/**
 * What a command needs from the outside world, passed in rather than taken from globals,
 * so that tests run commands in-process and capture their output.
 */
export interface OutputStream {
  write(chunk: string | Uint8Array): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Where a pod's service account is mounted (default: the standard path); tests point it elsewhere. */
  serviceAccountDir?: string;
}

export interface CliContext {
  io: CliIo;
  /** Set by a command that wants a non-zero exit without an error (e.g. `kcr secrets` found some: 3). */
  exitCode: number;
  debug: boolean;
  quiet: boolean;
  /** Aborted on Ctrl-C; long operations pass it down so they can clean up. */
  signal: AbortSignal;
  /** How commands open archives: the signal, and `--max-inflate` for compressed ones. */
  archive: OpenOptions;
  /**
   * The raw stderr, for progress bars and status lines only: they draw with kcr's own escape
   * sequences, which the guarded `io.stderr` would make visible. Never write archive text here.
   */
  terminal: OutputStream;
  /** The command running (`kcr image push`), once its flags are parsed: hints name its --help. */
  command?: string;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    // On first use: Node builds process.stdin (a tty or socket stream) when it is first read, which
    // costs each start milliseconds, and only --password-stdin reads it.
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    cwd: process.cwd(),
  };
}
