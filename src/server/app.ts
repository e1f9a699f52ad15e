/**
 * The dashboard as one Hono app: the JSON API under /api/v1 (token-checked, see auth.ts) and the
 * built web client (dist/web) as static files. Every error leaves as the API's JSON error.
 */
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { API_PREFIX } from './api-types.js';
import { apiAuth, hostGuard, tokenLanding } from './auth.js';
import { errorBody, sendJson } from './respond.js';
import { checkpointRoutes } from './routes-checkpoints.js';
import { memoryRoutes } from './routes-memory.js';
import { restoreRoutes } from './routes-restore.js';
import type { ServerState } from './state.js';
import { staticFiles } from './static-files.js';
import { uploadRoutes } from './uploads.js';

export interface AppOptions {
  token: string;
  /** Listening on loopback: Host headers must name loopback too. */
  loopback: boolean;
  /** The built web client (index.html and assets/); undefined serves the API alone. */
  webDir?: string;
}

export function createApp(state: ServerState, options: AppOptions): Hono {
  const app = new Hono();
  app.onError((err, c) => {
    const { status, body } = errorBody(err);
    if (status === 500 && body.error.message.startsWith('internal error'))
      state.log(`error: ${err.stack ?? err.message}`);
    return sendJson(c, body, status);
  });
  app.notFound((c) =>
    sendJson(
      c,
      { error: { code: 'not-found', message: `no such page: ${c.req.method} ${c.req.path}` } },
      404,
    ),
  );
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
      },
      referrerPolicy: 'no-referrer',
    }),
  );
  app.use('*', hostGuard(options.loopback));
  app.use('*', tokenLanding(options.token));

  const api = new Hono();
  api.use('*', apiAuth(options.token));
  checkpointRoutes(api, state);
  memoryRoutes(api, state);
  restoreRoutes(api, state);
  uploadRoutes(api, state);
  api.get('/session', (c) => sendJson(c, { ok: true }));
  app.route(API_PREFIX, api);

  if (options.webDir) app.get('*', staticFiles(options.webDir));
  return app;
}
