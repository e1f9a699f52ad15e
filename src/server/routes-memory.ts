/**
 * Memory: the mappings of every process (the VMA map), a window of bytes at an address (the hex
 * view pages through a mapping with these, so a GiB mapping is never loaded), and search as
 * server-sent events: each hit is sent as it is found, and closing the stream aborts the scan.
 */
import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { KcrError } from '../errors.js';
import {
  compilePattern,
  memorySummary,
  processView,
  readRange,
  resolveRange,
  searchMemory,
  type MemoryMapping,
  type SearchPattern,
} from '../forensics/index.js';
import { mappingAt, mappingJson } from '../forensics/memory/mappings.js';
import {
  MAX_READ,
  type MappingBody,
  type MemoryBody,
  type MemoryReadBody,
  type SearchDoneBody,
  type SearchHitBody,
  type SearchKind,
} from './api-types.js';
import { errorBody, sendJson, wireJson } from './respond.js';
import type { ServerState } from './state.js';

const hex = (v: bigint) => '0x' + v.toString(16);
/** Hits a search sends before it stops (the page cannot show more in any useful way). */
const MAX_HITS = 2000;

function mappingBody(m: MemoryMapping): MappingBody {
  return { ...mappingJson(m), shared: m.shared };
}

function parseAddress(text: string | undefined): bigint {
  if (!text || !/^(0x)?[0-9a-f]{1,16}$/i.test(text)) {
    throw new KcrError('usage', `address "${text ?? ''}" is not a hex address`, {
      hint: 'e.g. ?address=0x7f6d590d1000',
    });
  }
  return BigInt(text.startsWith('0x') || text.startsWith('0X') ? text : '0x' + text);
}

function parseCount(name: string, text: string | undefined, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new KcrError('usage', `${name} must be a whole number from 1 to ${max}, got "${text ?? ''}"`);
  }
  return n;
}

function searchPattern(
  kind: string | undefined,
  value: string | undefined,
  ignoreCase: boolean,
): SearchPattern {
  if (value === undefined || value === '') throw new KcrError('usage', 'give the search as ?value=…');
  const k = (kind ?? 'string') as SearchKind;
  if (k === 'hex') return { kind: 'hex', value };
  if (k === 'regex') return { kind: 'regex', value, ignoreCase };
  if (k === 'string') return { kind: 'string', value, ignoreCase };
  throw new KcrError('usage', `unknown search kind "${kind}"`, { hint: 'kind is string, regex or hex' });
}

export function memoryRoutes(api: Hono, state: ServerState): void {
  api.get('/checkpoints/:id/memory', async (c) => {
    const body = await state.withCheckpoint(c.req.param('id'), async ({ memory }) => {
      const context = await memory();
      const summaries = memorySummary(context);
      const out: MemoryBody = {
        processes: summaries.map((s) => ({
          ...s,
          mappings: processView(context, s.pid).mappings.map(mappingBody),
        })),
      };
      return out;
    });
    return sendJson(c, body);
  });

  api.get('/checkpoints/:id/memory/search', (c) => {
    const id = c.req.param('id');
    const query = c.req.query();
    // Bad input is answered in the stream too (`failed`): an EventSource cannot read an error body.
    return streamSSE(c, async (stream) => {
      const controller = new AbortController();
      stream.onAbort(() => controller.abort());
      const send = (event: string, data: unknown) => stream.writeSSE({ event, data: wireJson(data) });
      let lastProgress = 0;
      try {
        const pid = query.pid ? parseCount('pid', query.pid, 2 ** 31) : undefined;
        const matcher = compilePattern(searchPattern(query.kind, query.value, query.ignoreCase === '1'));
        const result = await state.withCheckpoint(id, async ({ cp, memory }) => {
          const context = await memory();
          return searchMemory(cp, context, [matcher], {
            ...(pid !== undefined ? { pid } : {}),
            max: MAX_HITS,
            signal: controller.signal,
            onHit: (hit) => {
              const body: SearchHitBody = {
                pid: hit.pid,
                comm: hit.comm,
                address: hex(hit.address),
                length: hit.length,
                match: hit.match.toString('base64'),
              };
              const m = mappingAt(processView(context, hit.pid).mappings, hit.address);
              if (m) {
                const { start, end, perms, name, kind } = mappingBody(m);
                body.mapping = { start, end, perms, name, kind };
              }
              void send('hit', body);
            },
            onSearchProgress: (scannedBytes, totalBytes) => {
              // About ten a second is plenty for a progress bar.
              const now = Date.now();
              if (now - lastProgress < 100) return;
              lastProgress = now;
              void send('progress', { scannedBytes, totalBytes });
            },
          });
        });
        const done: SearchDoneBody = {
          hits: result.hits.length,
          limited: result.limited,
          scannedBytes: result.scannedBytes,
        };
        await send('done', done);
      } catch (err) {
        if (controller.signal.aborted) return;
        await send('failed', errorBody(err).body.error);
      }
    });
  });

  api.get('/checkpoints/:id/memory/:pid', async (c) => {
    const pid = parseCount('pid', c.req.param('pid'), 2 ** 31);
    const address = parseAddress(c.req.query('address'));
    const length = parseCount('length', c.req.query('length'), MAX_READ);
    const body = await state.withCheckpoint(c.req.param('id'), async ({ cp, memory }) => {
      const context = await memory();
      if (!context.processes.some((p) => p.pid === pid)) {
        throw new KcrError('not-found', `no process with pid ${pid}`, {
          hint: `the checkpoint holds pids ${context.processes.map((p) => p.pid).join(', ')}`,
        });
      }
      const view = processView(context, pid);
      const range = resolveRange(cp.path, view, address, length);
      const read = await readRange(context, view, range);
      const out: MemoryReadBody = {
        pid,
        address: hex(address),
        data: read.data.toString('base64'),
        missing: read.missing.map((m) => ({ offset: m.offset, length: m.length, reason: m.reason })),
      };
      return out;
    });
    return sendJson(c, body);
  });
}
