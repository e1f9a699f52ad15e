/**
 * `kcr ui [PATH…] [--store NAME…]`: the dashboard, served by kcr until Ctrl-C. It prints the URL to open once
 * (with the token in it, which the page trades for a cookie); on exit it closes every archive and
 * removes the uploads unless `--uploads DIR` keeps them.
 */
import type { Command } from 'commander';
import { dirname, join } from 'node:path';
import { KcrError } from '../../errors.js';
import { KUBELET_CHECKPOINT_DIR } from '../../forensics/list.js';
import { catalogPath } from '../backup-env.js';
import type { CliContext } from '../context.js';
import { kubeconfigOptions } from '../kube-flags.js';

interface UiFlags {
  port: number;
  host: string;
  token?: string;
  uploads?: string;
  store?: string[];
  kubeconfig?: string;
  context?: string;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new KcrError('usage', `--port ${value}: give 0-65535`);
  return n;
}

export async function runUi(paths: string[], f: UiFlags, ctx: CliContext): Promise<void> {
  const token = f.token ?? ctx.io.env.KCR_UI_TOKEN;
  if (token !== undefined && token.length < 16) {
    throw new KcrError('usage', '--token must be at least 16 characters', {
      hint: 'leave it out and kcr ui makes a random one',
    });
  }
  const { startDashboard } = await import('../../server/index.js');
  const stores = f.store ?? [];
  const catalog = catalogPath(ctx);
  const dashboard = await startDashboard({
    // With only --store, the backups alone; with nothing at all, the kubelet's directory.
    paths: paths.length > 0 || stores.length > 0 ? paths : [KUBELET_CHECKPOINT_DIR],
    ...(stores.length > 0
      ? { backups: { catalog, storesFile: join(dirname(catalog), 'stores.json'), stores } }
      : {}),
    host: f.host,
    port: f.port,
    ...(token ? { token } : {}),
    ...(f.uploads ? { uploadsDir: f.uploads } : {}),
    env: ctx.io.env,
    kube: kubeconfigOptions(f, ctx),
    log: (line) => void ctx.io.stderr.write(`${line}\n`),
  });
  ctx.io.stderr.write(`kcr ui: serving the dashboard at ${dashboard.url} (Ctrl-C stops it)\n`);
  // A generated token is shown once, inside the URL to open; a given one is not echoed.
  if (dashboard.generatedToken) ctx.io.stdout.write(`${dashboard.loginUrl}\n`);
  else {
    ctx.io.stdout.write(`${dashboard.url}\n`);
    ctx.io.stderr.write(`open ${dashboard.url}?token=TOKEN once, with the token you gave\n`);
  }
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) resolve();
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await dashboard.close();
}

export function registerUi(program: Command, ctx: CliContext): void {
  program
    .command('ui')
    .description(
      'serve the dashboard: browse, search and compare checkpoints, and restore them, in the browser',
    )
    .argument(
      '[path...]',
      `directories of checkpoint archives, or archives (default ${KUBELET_CHECKPOINT_DIR})`,
    )
    .option('--port <port>', 'port to listen on (0: any free one)', port, 7070)
    .option(
      '--host <address>',
      'address to listen on; anything but loopback is reachable by others',
      '127.0.0.1',
    )
    .option(
      '--token <token>',
      'the token API calls must carry (default: $KCR_UI_TOKEN, else a random one, printed once)',
    )
    .option(
      '--store <name>',
      'also serve the backups of this catalog store (repeat for more; see `kcr store list`)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      '--uploads <dir>',
      'keep uploaded archives in this directory (default: a temporary one, removed on exit)',
    )
    .option('--kubeconfig <file>', 'kubeconfig for restoring (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use')
    .action(async (paths: string[], f: UiFlags) => runUi(paths, f, ctx));
}
