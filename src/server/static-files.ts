/**
 * The built web client, served by kcr itself (no separate web server): `/` is index.html, and
 * the files Vite wrote (content-hashed, so cached for good) are served from the build directory,
 * confined to it. Written here rather than taken from @hono/node-server's serveStatic, which
 * resolves its root against the working directory; kcr ui runs from anywhere.
 */
import { readFile } from 'node:fs/promises';
import { extname, isAbsolute, join, normalize, relative } from 'node:path';
import type { Handler } from 'hono';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export function staticFiles(webDir: string): Handler {
  return async (c, next) => {
    const path = c.req.path === '/' ? '/index.html' : c.req.path;
    const type = TYPES[extname(path)];
    const file = join(webDir, normalize(path));
    const rel = relative(webDir, file);
    if (path.startsWith('/api/') || !type || rel.startsWith('..') || isAbsolute(rel)) return next();
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch {
      return next();
    }
    const immutable = rel.startsWith('assets/');
    return c.body(new Uint8Array(data), 200, {
      'content-type': type,
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
  };
}
