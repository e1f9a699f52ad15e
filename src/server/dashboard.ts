/**
 * `startDashboard`: the kcr ui server, on @hono/node-server. It decides the token (given, or a
 * new random one), where uploads go, and which built client it serves; it never prints: the
 * caller gets the URL to show, and log lines through `log`.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { KcrError } from '../errors.js';
import type { KubeconfigOptions } from '../kube/index.js';
import { makeTempDir } from '../util/temp-dir.js';
import { createApp } from './app.js';
import { isLoopback, newToken } from './auth.js';
import { BackupSource, type BackupSourceOptions } from './backups.js';
import { makeRoots } from './sources.js';
import { ServerState } from './state.js';

export interface DashboardOptions {
  /** Directories of checkpoint archives, and single archives. */
  paths: string[];
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** The token every API call must carry; generated when absent (see `Dashboard.token`). */
  token?: string;
  /** Keep uploads in this directory; without it they go to a private temp directory removed on exit. */
  uploadsDir?: string;
  /** Backups from these catalog stores are listed and opened too. */
  backups?: BackupSourceOptions;
  /** The built web client; default: dist/web of this installation. */
  webDir?: string;
  env?: NodeJS.ProcessEnv;
  kube?: KubeconfigOptions;
  log?: (line: string) => void;
}

export interface Dashboard {
  /** Where it listens, e.g. http://127.0.0.1:7070/ */
  url: string;
  /** The URL a browser opens first: it trades the token for a session cookie. */
  loginUrl: string;
  token: string;
  /** The token was generated (not given): show it once. */
  generatedToken: boolean;
  port: number;
  close(): Promise<void>;
}

/** dist/web beside this module's build (dist/server or the CLI bundle), or the repo's from src/. */
export function defaultWebDir(): string | undefined {
  const candidates = ['../web/', '../../dist/web/'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  return candidates.find((dir) => existsSync(dir + 'index.html'));
}

function listen(app: ReturnType<typeof createApp>, host: string, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(server));
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new KcrError('conflict', `${host}:${port} is already in use`, {
            hint: 'pick another port with --port (0 picks a free one)',
            cause: err,
          }),
        );
      } else reject(new KcrError('io', `cannot listen on ${host}:${port}: ${err.message}`, { cause: err }));
    });
  });
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? newToken();
  const temp = options.uploadsDir ? undefined : await makeTempDir('ui-uploads');
  const uploadsDir = options.uploadsDir ?? temp!.dir;
  if (options.uploadsDir) await mkdir(options.uploadsDir, { recursive: true, mode: 0o700 });
  const backupCache = options.backups ? await makeTempDir('ui-backups') : undefined;
  const cleanup = async () => {
    await Promise.all([temp?.remove(), backupCache?.remove()]);
  };
  let backups: BackupSource | undefined;
  let roots;
  try {
    roots = await makeRoots(options.paths, uploadsDir);
    if (options.backups) backups = await BackupSource.open(options.backups, backupCache!.dir);
  } catch (err) {
    await cleanup();
    throw err;
  }
  const state = new ServerState({
    roots,
    ...(backups ? { backups } : {}),
    uploadsDir,
    uploadsKept: options.uploadsDir !== undefined,
    env: options.env ?? process.env,
    kube: options.kube ?? {},
    log: options.log ?? (() => undefined),
  });
  const webDir = options.webDir ?? defaultWebDir();
  const app = createApp(state, { token, loopback: isLoopback(host), ...(webDir ? { webDir } : {}) });
  let server: ServerType;
  try {
    server = await listen(app, host, options.port ?? 7070);
  } catch (err) {
    await state.close();
    await cleanup();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  // A wildcard address is reached by this machine's name; an IPv6 literal needs brackets.
  const name = host === '0.0.0.0' || host === '::' ? hostname() : host;
  const shown = name.includes(':') ? `[${name}]` : name;
  const url = `http://${shown}:${port}/`;
  return {
    url,
    loginUrl: `${url}?token=${encodeURIComponent(token)}`,
    token,
    generatedToken: options.token === undefined,
    port,
    close: async () => {
      await state.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Open event streams would hold close() forever.
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
      await cleanup();
    },
  };
}
