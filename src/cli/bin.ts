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
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const code = await runCli(argv, processIo(), controller.signal);
  // Let stdout drain before exiting so piped output is not cut short.
  await new Promise<void>((resolve) =>
    process.stdout.writableNeedDrain ? process.stdout.once('drain', resolve) : resolve(),
  );
  process.exit(interrupted && code === 0 ? 130 : code);
}
