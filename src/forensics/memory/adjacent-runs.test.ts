/**
 * A crafted pagemap (re-encoded with the schema encoder) shows the rule for matches that span
 * two pagemap runs: found when the runs are adjacent in memory, not found when they only touch
 * in the pages file (a hole in memory lies between them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointArchive } from '../../archive/archive.js';
import { rewriteArchive, tempDir } from '../../testing/archive-builder.js';
import { decodePagemap, encodePagemap, entryPages } from '../../testing/criu-images.js';
import { fixture } from '../../testing/fixtures.js';
import { runCliCaptured } from '../../testing/run-cli.js';
import { withCheckpoint } from '../checkpoint.js';
import { loadMemoryContext } from './context.js';
import { compilePattern } from './patterns.js';
import { searchMemory } from './search.js';

const SOURCE = fixture('podman/cthreads-server.tar');
const ADJACENT = 'SPLIT-ADJACENT-0042';
const NOT_ADJACENT = 'SPLIT-NONADJACENT-0042';
const CUT = 9; // bytes of each marker before the run boundary

const tmp = tempDir();
let crafted = '';
/** Virtual addresses where the two markers start. */
let adjacentAt = 0n;
let notAdjacentAt = 0n;
let secondHalfAt = 0n;

beforeAll(async () => {
  const archive = await CheckpointArchive.open(SOURCE);
  const pagemap = decodePagemap(await archive.read('checkpoint/pagemap-1.img'));
  const pages = Buffer.from(await archive.read('checkpoint/pages-1.img'));
  await archive.close();

  const runs = pagemap.entries.map((e) => ({ vaddr: e.vaddr!, pages: entryPages(e) }));
  let offset = 0;
  const withOffsets = runs.map((r) => {
    const out = { ...r, offset };
    offset += r.pages * 4096;
    return out;
  });
  // Adjacent: split the first run of 3 pages into 1 + 2. The pages file does not change.
  const i = withOffsets.findIndex((r) => r.pages === 3 && r.vaddr > 0x7f0000000000n);
  const split = withOffsets[i]!;
  const newRuns = [
    ...runs.slice(0, i),
    { vaddr: split.vaddr, pages: 1 },
    { vaddr: split.vaddr + 4096n, pages: 2 },
    ...runs.slice(i + 1),
  ];
  const boundary = split.offset + 4096;
  Buffer.from(ADJACENT).copy(pages, boundary - CUT);
  adjacentAt = split.vaddr + 4096n - BigInt(CUT);

  // Not adjacent: the heap run and the next run touch in the file, not in memory.
  const j = withOffsets.findIndex((r, k) => {
    const next = withOffsets[k + 1];
    return next && r.vaddr + BigInt(r.pages * 4096) !== next.vaddr && r.vaddr < 0x10000000n && r.pages > 1;
  });
  const a = withOffsets[j]!;
  Buffer.from(NOT_ADJACENT).copy(pages, a.offset + a.pages * 4096 - CUT);
  notAdjacentAt = a.vaddr + BigInt(a.pages * 4096 - CUT);
  secondHalfAt = withOffsets[j + 1]!.vaddr;

  crafted = await rewriteArchive(SOURCE, tmp.path('split-runs.tar'), {
    replace: {
      'checkpoint/pagemap-1.img': encodePagemap(pagemap.pagesId, newRuns),
      'checkpoint/pages-1.img': pages,
    },
  });
});

afterAll(() => tmp.cleanup());

async function searchJson(text: string, extra: string[] = []) {
  const r = await runCliCaptured(['mem', 'search', crafted, '-s', text, '-o', 'json', ...extra]);
  const { hits } = JSON.parse(r.stdout) as {
    hits: Array<{ address: string; match: string; mapping: { start: string } }>;
  };
  // As grep: 0 when something matched, 1 when nothing did.
  expect(r.code, r.stderr).toBe(hits.length > 0 ? 0 : 1);
  return hits;
}

describe('a match split across two pagemap runs', () => {
  it('is found when the runs are adjacent in memory', async () => {
    const hits = await searchJson(ADJACENT);
    expect(hits.map((h) => BigInt(h.address))).toEqual([adjacentAt]);
    expect(hits[0]!.match).toBe(ADJACENT);
  });

  it('is not found when a hole in memory lies between the runs, though both halves are there', async () => {
    expect(await searchJson(NOT_ADJACENT)).toEqual([]);
    const firstHalf = await searchJson(NOT_ADJACENT.slice(0, CUT));
    expect(firstHalf.map((h) => BigInt(h.address))).toContain(notAdjacentAt);
    const secondHalf = await searchJson(NOT_ADJACENT.slice(CUT));
    expect(secondHalf.map((h) => BigInt(h.address))).toContain(secondHalfAt);
  });

  it('keeps both rules with regexes and with chunks smaller than a page', async () => {
    await withCheckpoint(crafted, async (cp) => {
      const context = await loadMemoryContext(cp);
      for (const chunkSize of [100, 4096, 8 << 20]) {
        const matchers = [
          compilePattern({ kind: 'regex', value: 'SPLIT-[A-Z]+-[0-9]{4}' }),
          compilePattern({ kind: 'regex', value: '[A-Z]+-ADJACENT-[0-9]+' }),
        ];
        const { hits } = await searchMemory(cp, context, matchers, { chunkSize });
        expect(
          hits.map((h) => [h.pattern, h.address, h.match.toString()]),
          `chunk ${chunkSize}`,
        ).toEqual([
          [0, adjacentAt, ADJACENT],
          [1, adjacentAt, ADJACENT],
        ]);
      }
    });
  });

  it('reads the adjacent match back whole with mem dump', async () => {
    const r = await runCliCaptured([
      'mem',
      'dump',
      crafted,
      '--pid',
      '1',
      '--address',
      '0x' + adjacentAt.toString(16),
      '--length',
      String(ADJACENT.length),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(ADJACENT);
  });
});
