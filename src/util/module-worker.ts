/**
 * Starts a worker thread from a module beside the caller's: `NAME.js` next to the compiled module
 * (dist/, or the CLI bundle, where each worker is an entry of its own beside the chunks), or, when
 * kcr runs from its TypeScript sources (the tests), `NAME.ts` through src/testing/ts-worker.mjs,
 * which registers tsx in the worker first. `callerUrl` is the caller's import.meta.url.
 */
import { Worker } from 'node:worker_threads';

export function startModuleWorker(callerUrl: string, name: string, workerData: unknown): Worker {
  if (callerUrl.endsWith('.ts')) {
    return new Worker(new URL('../testing/ts-worker.mjs', import.meta.url), {
      workerData: { ...(workerData as object), entry: new URL(`./${name}.ts`, callerUrl).href },
    });
  }
  return new Worker(new URL(`./${name}.js`, callerUrl), { workerData });
}
