/**
 * The HTTP side of the agent and the controller (Hono on Node's HTTP server): `/metrics` for
 * Prometheus, `/healthz` (the process serves requests) and `/readyz` (the component is doing its
 * job: its informers have synced; the controller is ready as leader or as a standby).
 */
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { Metrics } from './metrics.js';

export interface Endpoints {
  /** The port it listens on (the one asked for, or the one chosen for port 0). */
  port: number;
  close(): Promise<void>;
}

/** `ready` returns undefined when ready, else why not (sent with the 503). */
export function endpointsApp(metrics: Metrics, ready: () => string | undefined): Hono {
  const app = new Hono();
  app.get('/metrics', async (c) =>
    c.body(await metrics.registry.metrics(), 200, { 'Content-Type': metrics.registry.contentType }),
  );
  app.get('/healthz', (c) => c.text('ok\n'));
  app.get('/readyz', (c) => {
    const why = ready();
    return why === undefined ? c.text('ok\n') : c.text(`not ready: ${why}\n`, 503);
  });
  return app;
}

export async function serveEndpoints(
  metrics: Metrics,
  ready: () => string | undefined,
  options: { port: number; hostname?: string },
): Promise<Endpoints> {
  const app = endpointsApp(metrics, ready);
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: options.hostname ?? '0.0.0.0' }, () =>
      resolve(s),
    );
    s.once('error', reject);
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
