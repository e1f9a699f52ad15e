/**
 * The read-only views of checkpoints: the list, `inspect` (any of its views), one process's
 * environment unmasked (logged), a text file from rootfs-diff.tar, secrets, and the diff of two.
 * Each handler is a thin call into forensics, as the CLI's commands are.
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { KcrError } from '../errors.js';
import {
  diffCheckpoints,
  inspect,
  INSPECT_VIEWS,
  scanSecrets,
  streamRootfsFile,
  type InspectView,
} from '../forensics/index.js';
import type { CheckpointList, RevealBody, RootfsFileBody } from './api-types.js';
import { readJsonBody } from './body.js';
import { sendJson } from './respond.js';
import type { ServerState } from './state.js';

/** Views a detail page opens with: the summary and the process tree with command lines. */
const DEFAULT_VIEWS: InspectView[] = ['processes', 'cmdline', 'env', 'metadata'];
/** The text viewer shows at most this much of a file. */
const TEXT_LIMIT = 256 * 1024;

function parseViews(value: string | undefined): Set<InspectView> {
  if (value === undefined || value === '') return new Set(DEFAULT_VIEWS);
  const views = value.split(',');
  const unknown = views.filter((v) => !(INSPECT_VIEWS as readonly string[]).includes(v));
  if (unknown.length > 0) {
    throw new KcrError('usage', `unknown view ${unknown.join(', ')}`, {
      hint: `views are ${INSPECT_VIEWS.join(', ')}`,
    });
  }
  return new Set(views as InspectView[]);
}

/** Reads up to `limit` bytes of a stream, then stops it. */
async function head(stream: AsyncIterable<Buffer> & { destroy(): void }, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= limit) break;
  }
  stream.destroy();
  return Buffer.concat(chunks).subarray(0, limit);
}

/** Text if it decodes as UTF-8 without NULs (a cut multi-byte character at the limit is fine). */
function asText(bytes: Buffer, truncated: boolean): string | undefined {
  if (bytes.includes(0)) return undefined;
  const body = truncated ? bytes.subarray(0, Math.max(0, bytes.length - 3)) : bytes;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return undefined;
  }
}

const revealSchema = z.object({ pid: z.number().int().positive() }).strict();

export function checkpointRoutes(api: Hono, state: ServerState): void {
  api.get('/checkpoints', async (c) => {
    const body: CheckpointList = {
      checkpoints: await state.list(),
      sources: [
        ...state.roots.map((r) => ({
          key: r.key,
          kind: r.kind,
          location: r.only ? `${r.dir}/${r.only}` : r.dir,
        })),
        ...(state.backups?.stores ?? []).map((store) => ({
          key: `backup/${store}`,
          kind: 'backup' as const,
          location: `store ${store}`,
        })),
      ],
      uploadsKept: state.uploadsKept,
    };
    return sendJson(c, body);
  });

  api.get('/checkpoints/:id', async (c) => {
    const views = parseViews(c.req.query('views'));
    const pidText = c.req.query('pid');
    const pid = pidText === undefined ? undefined : Number(pidText);
    if (pid !== undefined && !(Number.isInteger(pid) && pid > 0)) {
      throw new KcrError('usage', `pid must be a positive whole number, got "${pidText}"`);
    }
    const result = await state.withCheckpoint(c.req.param('id'), ({ cp }) =>
      inspect(cp, { views, logTail: -1, ...(pid !== undefined ? { pid } : {}) }),
    );
    return sendJson(c, result);
  });

  api.post('/checkpoints/:id/reveal', async (c) => {
    const { pid } = await readJsonBody(c, revealSchema, 'reveal request');
    const id = c.req.param('id');
    const result = await state.withCheckpoint(id, ({ cp }) =>
      inspect(cp, { views: new Set(['env']), pid, showSecrets: true }),
    );
    state.log(`revealed the environment of pid ${pid} in ${id}`);
    const body: RevealBody = { pid, env: result.processes?.[0]?.env ?? [] };
    return sendJson(c, body);
  });

  api.get('/checkpoints/:id/rootfs/file', async (c) => {
    const path = c.req.query('path');
    if (!path) throw new KcrError('usage', 'give the file as ?path=/PATH/IN/CONTAINER');
    const body = await state.withCheckpoint(c.req.param('id'), async ({ cp }) => {
      const { file, stream } = await streamRootfsFile(cp, path);
      const bytes = await head(stream, TEXT_LIMIT);
      const truncated = file.size > bytes.length;
      const text = asText(bytes, truncated);
      const out: RootfsFileBody = { path: file.path, size: file.size, truncated, binary: text === undefined };
      if (text !== undefined) out.text = text;
      return out;
    });
    return sendJson(c, body);
  });

  api.get('/checkpoints/:id/secrets', async (c) => {
    const memory = c.req.query('memory') === '1';
    const signal = c.req.raw.signal;
    const scan = await state.withCheckpoint(c.req.param('id'), ({ cp }) =>
      scanSecrets(cp, { memory, signal }),
    );
    return sendJson(c, scan);
  });

  api.get('/diff', async (c) => {
    const [a, b] = [c.req.query('a'), c.req.query('b')];
    if (!a || !b) throw new KcrError('usage', 'give two checkpoints as ?a=ID&b=ID');
    const force = c.req.query('force') === '1';
    const diff = await state.withCheckpoint(a, ({ cp: ca }) =>
      state.withCheckpoint(b, ({ cp: cb }) => diffCheckpoints(ca, cb, { force })),
    );
    return sendJson(c, diff);
  });
}
