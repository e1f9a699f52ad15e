/**
 * Runs a CLI program as the process: Ctrl-C and SIGTERM cancel it, a closed stdout ends it quietly,
 * and its exit code is the process's. The only module that calls process.exit; the entries (bin.ts,
 * fast/) say which program.
 */
import { processIo, type CliIo } from './context.js';

export async function runAsProcess(
  program: (io: CliIo, signal: AbortSignal) => Promise<number>,
): Promise<never> {
  const controller = new AbortController();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130); // a second Ctrl-C does not wait for cleanup
    interrupted = true;
    process.stderr.write(`\n${signal === 'SIGINT' ? 'interrupted' : 'terminated'}, cleaning up...\n`);
    controller.abort(new Error(signal));
    // Work that does not watch the signal (a tar index, a decompression) gets one second; then kcr
    // exits anyway, and the exit hooks remove its temporary files.
    setTimeout(() => process.exit(130), 1000).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // `kcr mem dump --hex … | head`: a reader that went away is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const code = await program(processIo(), controller.signal);
  // Let stdout drain before exiting so piped output is not cut short.
  await new Promise<void>((resolve) =>
    process.stdout.writableNeedDrain ? process.stdout.once('drain', resolve) : resolve(),
  );
  // An interrupted run exits 130 (128 + SIGINT), as shells and kubectl do, whatever the command returned.
  process.exit(interrupted ? 130 : code);
}
