/**
 * A scriptable HTTP(S) server on 127.0.0.1 for hostile-registry tests: each test routes paths to
 * handlers that misbehave on purpose (redirect uploads elsewhere, point token realms at plain HTTP,
 * send more than declared, trickle, never answer), and every request is recorded with its headers,
 * so a test can prove which credentials reached which server.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';

export type StubHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

export interface RecordedRequest {
  method: string;
  path: string;
  authorization?: string;
  bytes: number;
}

export interface StubServer {
  /** `address:port`. */
  host: string;
  origin: string;
  requests: RecordedRequest[];
  /** Handlers by `METHOD /path` (query ignored), `* /path`, or a prefix ending in `*`. */
  routes: Map<string, StubHandler>;
  close(): Promise<void>;
}

export interface StubOptions {
  tls?: { cert: string; key: string };
  /** The loopback address to listen on: 127.0.0.2 is "another host" to a client of 127.0.0.1. */
  address?: string;
}

function find(routes: Map<string, StubHandler>, method: string, path: string): StubHandler | undefined {
  const exact = routes.get(`${method} ${path}`) ?? routes.get(`* ${path}`);
  if (exact) return exact;
  for (const [key, handler] of routes) {
    const [m, p] = key.split(' ', 2) as [string, string];
    if ((m === method || m === '*') && p.endsWith('*') && path.startsWith(p.slice(0, -1))) return handler;
  }
  return undefined;
}

export async function startStubServer(options: StubOptions = {}): Promise<StubServer> {
  const requests: RecordedRequest[] = [];
  const routes = new Map<string, StubHandler>();
  const sockets = new Set<Socket>();
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => undefined);
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = new URL(req.url ?? '/', 'http://stub').pathname;
      requests.push({
        method: req.method ?? '',
        path,
        authorization: req.headers.authorization,
        bytes: body.length,
      });
      const handler = find(routes, req.method ?? '', path);
      if (handler) handler(req, res, body);
      else
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"errors":[{"code":"NAME_UNKNOWN"}]}');
    });
  };
  const server = options.tls ? createHttpsServer(options.tls, handle) : createHttpServer(handle);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const ip = options.address ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, ip, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const host = `${ip}:${port}`;
  return {
    host,
    origin: `${options.tls ? 'https' : 'http'}://${host}`,
    requests,
    routes,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
