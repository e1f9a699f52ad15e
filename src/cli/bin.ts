/** The executable's entry point: the only module that calls process.exit. */
import { runCli } from './main.js';
import { processIo } from './context.js';

export async function main(argv: readonly string[]): Promise<never> {
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
  const code = await runCli(argv, processIo(), controller.signal);
  // Let stdout drain before exiting so piped output is not cut short.
  await new Promise<void>((resolve) =>
    process.stdout.writableNeedDrain ? process.stdout.once('drain', resolve) : resolve(),
  );
  // An interrupted run exits 130 (128 + SIGINT), as shells and kubectl do, whatever the command returned.
  process.exit(interrupted ? 130 : code);
}
