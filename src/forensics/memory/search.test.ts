/**
 * `kcr mem search` finds every marker and token that CRIU 4.2's own decoder (pycriu) found in
 * the fixtures, at the same PID, address, pages member offset and mapping; and chunk size never
 * changes what is found.
 */
import { describe, expect, it } from 'vitest';
import { CheckpointArchive } from '../../archive/archive.js';
import { allFixtures, fixture, loadFacts, type FactsMemoryHit } from '../../testing/fixtures.js';
import { runCliCaptured } from '../../testing/run-cli.js';
import { withCheckpoint } from '../checkpoint.js';
import { loadMemoryContext } from './context.js';
import { compilePattern, type SearchPattern } from './patterns.js';
import { searchMemory, type MemoryHit } from './search.js';

interface HitJson {
  pid: number;
  address: string;
  length: number;
  mapping: { start: string; end: string; name: string; kind: string } | null;
  match: string;
  member: string;
  memberOffset: number;
}

const cases = allFixtures().map((c) => ({ ...c, name: c.archive }));

/** The facts name the VMA kind in words; this is what kcr calls the same mapping. */
function expectedKind(kind: string): { name: string; kind: string } {
  if (kind === 'heap') return { name: '[heap]', kind: 'heap' };
  if (kind.startsWith('stack')) return { name: '[stack]', kind: 'stack' };
  if (kind === 'anon-private') return { name: '', kind: 'anonymous' };
  throw new Error(`unknown kind in facts: ${kind}`);
}

describe.each(cases)('$name', ({ archive, facts: factsFile }) => {
  const facts = loadFacts(factsFile);
  const strings = [...new Set(facts.memory_strings.hits.map((h) => h.string))];

  it.each(strings)('finds %s at every address, PID and mapping the facts list', async (text) => {
    const r = await runCliCaptured([
      'mem',
      'search',
      fixture(archive),
      '-s',
      text,
      '--max',
      '0',
      '-o',
      'json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const hits = (JSON.parse(r.stdout) as { hits: HitJson[] }).hits;
    const want = facts.memory_strings.hits.filter((h: FactsMemoryHit) => h.string === text);
    for (const w of want) {
      const got = hits.find((h) => h.pid === w.pid && BigInt(h.address) === BigInt(w.vaddr));
      expect(got, `pid ${w.pid} ${w.vaddr}`).toBeDefined();
      const [start, end] = w.vma.split('-').map((v) => BigInt('0x' + v));
      expect(BigInt(got!.mapping!.start)).toBe(start);
      expect(BigInt(got!.mapping!.end)).toBe(end);
      expect(got!.mapping).toMatchObject(expectedKind(w.kind));
      expect(got!.member).toBe(`checkpoint/${w.pages_img}`);
      expect(got!.memberOffset).toBe(w.pages_img_offset);
      expect(got!.match).toBe(text);
    }
    // Nothing beyond the PIDs the facts saw it in.
    expect(new Set(hits.map((h) => h.pid))).toEqual(new Set(want.map((w) => w.pid)));
  });
});

async function search(archive: string, pattern: SearchPattern, chunkSize?: number): Promise<MemoryHit[]> {
  return withCheckpoint(fixture(archive), async (cp) => {
    const context = await loadMemoryContext(cp);
    const result = await searchMemory(cp, context, [compilePattern(pattern)], { chunkSize });
    return result.hits;
  });
}

const where = (hits: MemoryHit[]) => hits.map((h) => `${h.pid}@${h.address.toString(16)}+${h.length}`);

describe('chunk boundaries', () => {
  const patterns: Array<[string, SearchPattern]> = [
    ['a literal', { kind: 'string', value: 'tok_live_51HfA9xQ2' }],
    ['a regex with a literal prefix', { kind: 'regex', value: 'KCR-MARKER-[0-9a-f]{6}' }],
    ['a regex without a literal prefix', { kind: 'regex', value: '[A-Z_]+=[a-z]+_[a-z]+_[0-9A-Za-z]{6,}' }],
    ['a case-insensitive string', { kind: 'string', value: 'app_mode=PRODUCTION', ignoreCase: true }],
    ['hex bytes', { kind: 'hex', value: '41 50 49 5f 54 4f 4b 45 4e' }],
  ];

  it.each(patterns)(
    '%s is found the same with 8 MiB, 4 KiB and odd 1000-byte chunks',
    async (_name, pattern) => {
      const archive = 'podman/cthreads-server.tar';
      const whole = await search(archive, pattern);
      expect(whole.length).toBeGreaterThan(0);
      for (const chunk of [4096, 1000, 333]) {
        expect(where(await search(archive, pattern, chunk)), `chunk ${chunk}`).toEqual(where(whole));
      }
    },
  );

  it('a regex match is reported whole even when it starts in one chunk and ends in the next', async () => {
    // The heap token sits at pages-1.img offset 38672; 38680 cuts "API_TOKEN=" in two.
    const hits = await withCheckpoint(fixture('podman/cthreads-server.tar'), async (cp) => {
      const context = await loadMemoryContext(cp);
      const matcher = compilePattern({ kind: 'regex', value: 'API_TOKEN=[0-9A-Za-z_]+' });
      return (await searchMemory(cp, context, [matcher], { chunkSize: 38680 })).hits;
    });
    expect(hits.map((h) => h.match.toString('latin1'))).toEqual([
      'API_TOKEN=tok_live_51HfA9xQ2',
      'API_TOKEN=tok_live_51HfA9xQ2',
    ]);
  });

  it('matches raw bytes that checkpointctl turns into "?" before matching', async () => {
    // "cthreads\0API_TOKEN": a NUL inside the pattern, in the stack's environment block.
    const hits = await search('podman/cthreads-server.tar', {
      kind: 'regex',
      value: 'cthreads\\x00API_TOKEN',
    });
    expect(hits).toHaveLength(1);
    expect(hits[0]!.mapping?.name).toBe('[stack]');
  });
});

describe('shared memory', () => {
  it('is searched once in its own pages member and reported in every process that maps it', async () => {
    // nginx's shared /dev/zero page (a memfd to CRIU) lives in pagemap-shmem-1147.img + pages-1.img.
    const archive = fixture('podman/nginx-webserver-1.tar');
    const a = await CheckpointArchive.open(archive);
    const shared = await a.read('checkpoint/pages-1.img');
    await a.close();
    const at = shared.findIndex((b) => b !== 0);
    const needle = shared.subarray(at, at + 32).toString('hex');
    const r = await runCliCaptured(['mem', 'search', archive, '-x', needle, '--max', '0', '-o', 'json']);
    const hits = (JSON.parse(r.stdout) as { hits: HitJson[] }).hits.filter(
      (h) => h.member === 'checkpoint/pages-1.img',
    );
    expect(hits.map((h) => [h.pid, h.mapping?.name, h.memberOffset])).toEqual([
      [1, '/dev/zero (deleted)', at],
      [6, '/dev/zero (deleted)', at],
      [7, '/dev/zero (deleted)', at],
    ]);
    expect(new Set(hits.map((h) => BigInt(h.address) - BigInt(h.mapping!.start)))).toEqual(
      new Set([BigInt(at)]),
    );
    const dump = await runCliCaptured([
      'mem',
      'dump',
      archive,
      '--pid',
      '7',
      '--address',
      hits[2]!.address,
      '--length',
      '32',
    ]);
    expect(dump.stdoutBytes.toString('hex')).toBe(needle);
  });
});
