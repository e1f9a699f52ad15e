// Starts a worker thread from kcr's TypeScript sources (as the tests run them): registers tsx in
// the worker, then imports the worker module named in workerData.entry. The built package starts
// its workers from the compiled .js files and never loads this.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
