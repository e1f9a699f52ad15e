/** Runs kcr in-process, as a user would from a shell, and captures what it prints. */
import { Readable } from 'node:stream';
import { runCli } from '../cli/main.js';
import type { CliIo } from '../cli/context.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout as bytes, for byte streams (`image pull -`). */
  stdoutBytes: Buffer;
}

export async function runKcr(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; stdin?: string; cwd?: string; tty?: boolean } = {},
): Promise<CliRun> {
  const out: Buffer[] = [];
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (s: string | Uint8Array) => out.push(Buffer.from(s)), isTTY: false },
    stderr: {
      write: (s: string | Uint8Array) => (stderr += s.toString()),
      isTTY: Boolean(options.tty),
      columns: 120,
    },
    stdin: Readable.from(options.stdin !== undefined ? [options.stdin] : []),
    env: options.env ?? { ...process.env },
    cwd: options.cwd ?? process.cwd(),
  };
  const code = await runCli(args, io);
  const stdoutBytes = Buffer.concat(out);
  return { code, stdout: stdoutBytes.toString('utf8'), stderr, stdoutBytes };
}
