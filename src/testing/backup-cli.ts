/** The backup commands' test harness: archives to back up, and kcr run with its own data home. */
import { fixture } from './fixtures.js';
import { runCliCaptured, type CliResult } from './run-cli.js';

export const WEB_1 = fixture('crio', 'checkpoint-webserver_default-webserver-2026-11-28T16:01:40Z.tar');
export const WEB_2 = fixture('crio', 'checkpoint-webserver_default-webserver-2026-11-28T16:03:10Z.tar');
export const CTHREADS = fixture('crio', 'checkpoint-cthreads_apps-server-2026-11-28T16:04:20Z.tar');

export type Kcr = (...argv: string[]) => Promise<CliResult>;

/** kcr with `home` as XDG_DATA_HOME: its own catalog and default store, run in `cwd`. */
export function kcrWithHome(home: string, cwd: string): Kcr {
  return (...argv) => runCliCaptured(argv, { env: { XDG_DATA_HOME: home, KCR_CATALOG: '' }, cwd });
}
