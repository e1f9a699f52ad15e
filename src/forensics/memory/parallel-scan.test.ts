/**
 * A search split between this thread and a worker finds exactly what one scan finds: every
 * planted string and secret once, at its address, whichever thread took its block and wherever
 * the chunk boundaries fall. The worker runs from the TypeScript sources here (through tsx).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../testing/archive-builder.js';
import { fixture } from '../../testing/fixtures.js';
import { growPages, type GrownArchive } from '../../testing/grow-pages.js';
import { withCheckpointImages } from '../checkpoint-images.js';
import { ruleMatchers } from '../secrets/rule-matchers.js';
import { loadMemoryContext } from './context.js';
import type { MatcherRecipe } from './matcher-recipe.js';
import type { Matcher } from './matchers.js';
import { blocksOf, scanInParallel, ScanWorker } from './parallel-scan.js';
import { compilePattern, type SearchPattern } from './patterns.js';
import { scanSegments, type Segment } from './scan.js';
import { searchMemory, type MemorySearchOptions } from './search.js';

const tmp = tempDir('kcr-parallel-scan-');
const NEEDLE = 'KCR-PARALLEL-NEEDLE';
const SECRETS = ['AKIAKCRPARALLEL00001\0', 'API_TOKEN=kcr-parallel-secret-0001\0'];
let grown: GrownArchive;

beforeAll(async () => {
  grown = await growPages({
    source: fixture('podman', 'nginx-webserver-1.tar'),
    target: tmp.path('grown.tar'),
    pid: 6,
    bytes: 6 << 20,
    plant: [{ text: NEEDLE, count: 300 }, ...SECRETS.map((text) => ({ text, count: 150 }))],
  });
}, 60_000);
afterAll(() => tmp.cleanup());

/** Every hit of a search as `pattern@0xaddress+length`, sorted. */
async function hitsOf(matchers: Matcher[], options: MemorySearchOptions): Promise<string[]> {
  return withCheckpointImages(grown.path, async (cp) => {
    const context = await loadMemoryContext(cp);
    const result = await searchMemory(cp, context, matchers, options);
    // Within one window the matchers report in turn: the order of equal addresses may differ.
    return result.hits.map((h) => `${h.pattern}@0x${h.address.toString(16)}+${h.length}`).sort();
  });
}

/** The planted addresses no hit covers. */
function uncovered(hits: string[], addresses: bigint[]): bigint[] {
  const spans = hits.map((h) => {
    const [, at, length] = /@0x([0-9a-f]+)\+(\d+)$/.exec(h)!;
    const start = BigInt('0x' + at!);
    return [start, start + BigInt(length!)] as const;
  });
  return addresses.filter((a) => !spans.some(([start, end]) => a >= start && a < end));
}

// Small blocks (many of each thread's) and odd chunk sizes (strings across chunk boundaries).
const split = (recipe: MatcherRecipe) => ({ recipe, minBytes: 0, blockBytes: 96 * 1024 });

describe('a search split with a worker thread', () => {
  const pattern: SearchPattern = { kind: 'string', value: NEEDLE };
  const patterns: MatcherRecipe = { kind: 'patterns', patterns: [pattern], maxMatch: 4096 };

  it.each([4099, 65536])(
    'finds each planted string once, at its address (%i-byte chunks)',
    async (chunkSize) => {
      const one = await hitsOf([compilePattern(pattern)], { chunkSize });
      const two = await hitsOf([compilePattern(pattern)], { chunkSize, parallel: split(patterns) });
      const planted = grown.planted[0]!.addresses.map((a) => `0@0x${a.toString(16)}+${NEEDLE.length}`);
      expect(one.filter((h) => planted.includes(h))).toEqual([...planted].sort());
      expect(two).toEqual(one);
    },
  );

  it.each([4099, 1 << 20])(
    'finds each planted secret once, as one scan does (%i-byte chunks)',
    async (chunkSize) => {
      const one = await hitsOf(ruleMatchers(), { chunkSize });
      const two = await hitsOf(ruleMatchers(), { chunkSize, parallel: split({ kind: 'secret-rules' }) });
      expect(two).toEqual(one);
      for (const planted of grown.planted.slice(1)) {
        expect(planted.addresses.length).toBe(150);
        // An assignment's match may start before the planted name (`xAPI_TOKEN=`): covered, not equal.
        expect(uncovered(two, planted.addresses)).toEqual([]);
      }
    },
  );

  it('stops at --max as one scan does, with the same first hits', async () => {
    const one = await hitsOf([compilePattern(pattern)], { max: 37 });
    const two = await hitsOf([compilePattern(pattern)], { max: 37, parallel: split(patterns) });
    expect(two).toEqual(one);
    expect(two).toHaveLength(37);
  });
});

describe('the worker thread', () => {
  it('scans the blocks it takes as this thread would, and hands every one back', async () => {
    await withCheckpointImages(grown.path, async (cp) => {
      const member = grown.member;
      const context = await loadMemoryContext(cp);
      const memory = context.processes.find((p) => p.pid === 6)!.memory!;
      const segments: Segment[] = memory.runs
        .filter((r) => r.fileOffset !== null)
        .map((r) => ({ start: r.fileOffset!, end: r.fileOffset! + r.pages * memory.pageSize }));
      const source = {
        name: member,
        filePosition: cp.archive.location(member).offset,
        readInto: (offset: number, buf: Buffer, at: number, len: number) =>
          cp.archive.readInto(member, offset, buf, at, len),
        readIntoSync: await cp.archive.syncReader(member),
      };
      const expected: string[] = [];
      await scanSegments(
        source,
        segments,
        ruleMatchers(),
        (m) => (expected.push(`${m.matcher}@${m.start}`), true),
      );

      // The worker alone: this thread takes no block (every claim is already past the end).
      const worker = new ScanWorker({ kind: 'secret-rules' });
      try {
        const blocks = blocksOf(segments, 128 * 1024);
        const got = new Map<number, string[]>();
        await new Promise<void>((resolve, reject) =>
          worker.submit(
            {
              name: member,
              ...cp.archive.location(member),
              file: cp.archive.location(member).file,
              blocks,
              claims: new SharedArrayBuffer(8),
            },
            (reply) => {
              if (reply.kind === 'block')
                got.set(
                  reply.block,
                  reply.matches.map((m) => `${m.matcher}@${m.start}`),
                );
              else if (reply.kind === 'error') reject(new Error(reply.message));
              else resolve();
            },
          ),
        );
        expect(got.size).toBe(blocks.length);
        const sorted = (list: string[]) => [...list].sort();
        expect(sorted([...got.values()].flat())).toEqual(sorted(expected));
        expect(expected.length).toBeGreaterThanOrEqual(300);

        // And both together, through scanInParallel.
        const both: string[] = [];
        const done = await scanInParallel(
          source,
          cp.archive.location(member),
          segments,
          ruleMatchers(),
          (m) => (both.push(`${m.matcher}@${m.start}`), true),
          {
            worker,
            blockBytes: 128 * 1024,
          },
        );
        expect(done).toBe(true);
        expect(sorted(both)).toEqual(sorted(expected));
      } finally {
        await worker.close();
      }
    });
  });
});
