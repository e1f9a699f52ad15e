/**
 * `mem maps` agrees with crit 4.2's `x mems` on every fixture, `mem` with the facts' page
 * counts, and `mem dump` returns exactly the bytes of the pages member that crit's view maps to
 * each address (the facts give the offset), as files of mode 0600.
 */
import { readFileSync, statSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointArchive } from '../../archive/archive.js';
import { tempDir } from '../../testing/archive-builder.js';
import { allFixtures, fixture, loadFacts } from '../../testing/fixtures.js';
import { runCliCaptured } from '../../testing/run-cli.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const cases = allFixtures().map((c) => ({ ...c, name: c.archive }));

interface CritMapping {
  start: bigint;
  end: bigint;
  perms: string;
  rest: string;
}

/** Parses crit's `x mems` text: per pid, `start-end perms [path [+ 0xoffset]|[vdso]|...]`. */
function critMems(text: string): Map<number, CritMapping[]> {
  const out = new Map<number, CritMapping[]>();
  let pid = 0;
  for (const line of text.split('\n')) {
    if (/^\d+$/.test(line)) {
      pid = Number(line);
      out.set(pid, []);
      continue;
    }
    const m = /^\t([0-9a-f]+)-([0-9a-f]+)\s+([-rwx]{3})\s*(.*)$/.exec(line);
    if (m)
      out.get(pid)!.push({ start: BigInt('0x' + m[1]), end: BigInt('0x' + m[2]), perms: m[3]!, rest: m[4]! });
  }
  return out;
}

interface MappingJson {
  start: string;
  end: string;
  perms: string;
  offset: string;
  name: string;
  kind: string;
  dumpedPages: number;
}

async function maps(archive: string, pid: number): Promise<MappingJson[]> {
  const r = await runCliCaptured(['mem', 'maps', fixture(archive), '--pid', String(pid), '-o', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as MappingJson[];
}

describe.each(cases)('$name', ({ archive, facts: factsFile }) => {
  const facts = loadFacts(factsFile);
  const crit = critMems((facts as unknown as { crit_explore: { mems: string } }).crit_explore.mems);

  it('lists the same mappings as crit x mems: range, permissions, file and offset', async () => {
    for (const p of facts.processes.list) {
      const got = await maps(archive, p.pid);
      // A zombie has no memory; crit 4.2's `x mems` aborts on it and prints nothing after it.
      if (p.zombie) expect(got).toEqual([]);
      if (p.zombie || !crit.has(p.pid)) continue;
      const want = crit.get(p.pid)!;
      expect(got.map((m) => [BigInt(m.start), BigInt(m.end), m.perms.slice(0, 3)])).toEqual(
        want.map((m) => [m.start, m.end, m.perms]),
      );
      got.forEach((m, i) => {
        const rest = want[i]!.rest;
        const file = /^(\/\S+)(?: \+ (0x[0-9a-f]+))?$/.exec(rest);
        if (file) {
          expect(m.name).toBe(file[1]);
          expect(BigInt(m.offset)).toBe(BigInt(file[2] ?? 0));
        } else if (rest.startsWith('[vdso]')) expect(m.name).toBe('[vdso]');
        else if (rest.startsWith('[vsyscall]')) expect(m.name).toBe('[vsyscall]');
        else if (rest === '[stack?]') expect(m.name).toBe('[stack]');
        else if (rest === 'unknown path (s)') expect(m.perms.endsWith('s')).toBe(true);
      });
    }
  });

  it('counts the dumped pages and VMAs of each process as the facts do', async () => {
    const r = await runCliCaptured(['mem', fixture(archive), '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{
      pid: number;
      dumpedBytes: number;
      vmaCount: number;
      pagesMember: string;
    }>;
    expect(rows.map((row) => [row.pid, row.dumpedBytes / 4096, row.vmaCount, row.pagesMember])).toEqual(
      [...facts.processes.list]
        .sort((a, b) => a.pid - b.pid)
        .map((p) =>
          p.zombie
            ? [p.pid, 0, 0, undefined]
            : [p.pid, p.dumped_pages, p.vma_count, `checkpoint/${p.pages_img}`],
        ),
    );
  });

  it('dumps each marker range as exactly the pages member bytes at the offset crit maps it to', async () => {
    const archiveFile = await CheckpointArchive.open(fixture(archive));
    try {
      for (const [i, hit] of facts.memory_strings.hits.entries()) {
        const pageStart = BigInt(hit.vaddr) & ~0xfffn;
        const pageOffset = hit.pages_img_offset - Number(BigInt(hit.vaddr) - pageStart);
        const out = tmp.path(`${archive.replace(/\W/g, '_')}-${i}.bin`);
        const r = await runCliCaptured([
          'mem',
          'dump',
          fixture(archive),
          '--pid',
          String(hit.pid),
          '--address',
          '0x' + pageStart.toString(16),
          '--length',
          '4096',
          '--output-file',
          out,
        ]);
        expect(r.code, r.stderr).toBe(0);
        const got = readFileSync(out);
        const want = await archiveFile.readRange(`checkpoint/${hit.pages_img}`, pageOffset, 4096);
        expect(got.equals(want), `${hit.string} @ ${hit.vaddr}`).toBe(true);
        const at = Number(BigInt(hit.vaddr) - pageStart);
        expect(got.subarray(at, at + hit.string.length).toString()).toBe(hit.string);
        expect(statSync(out).mode & 0o777).toBe(0o600);
      }
    } finally {
      await archiveFile.close();
    }
  });
});

describe('mem dump of a whole process', () => {
  const archive = fixture('podman/cthreads-server.tar');

  it('writes one sparse file per mapping with dumped pages, and a maps index', async () => {
    const dir = tmp.path('cthreads-1');
    const r = await runCliCaptured(['mem', 'dump', archive, '--pid', '1', '--output-file', dir]);
    expect(r.code, r.stderr).toBe(0);
    const index = readFileSync(`${dir}/maps`, 'utf8');
    expect(index).toMatch(/^8fba000-8fdc000 rw-p 00000000 3\/34 8fba000-8fdc000\.bin \[heap\]$/m);
    expect(index).toMatch(/^400000-401000 r--p 00000000 0\/1 - \/app\/cthreads$/m);
    const heap = readFileSync(`${dir}/8fba000-8fdc000.bin`);
    expect(heap.length).toBe(0x8fdc000 - 0x8fba000);
    const at = 0x8fbb710 - 0x8fba000;
    expect(heap.subarray(at, at + 28).toString()).toBe('API_TOKEN=tok_live_51HfA9xQ2');
    expect(statSync(`${dir}/8fba000-8fdc000.bin`).mode & 0o777).toBe(0o600);
    const json = JSON.parse(readFileSync(`${dir}/maps.json`, 'utf8')) as {
      mappings: Array<{ start: string; file: string | null; present: Array<[number, number]> }>;
    };
    expect(json.mappings).toHaveLength(20);
    expect(json.mappings.find((m) => m.start === '0x8fba000')?.present).toEqual([[0, 3 * 4096]]);
  });

  it('prints a hexdump that collapses repeated rows and marks pages not in the dump', async () => {
    // The heap's first 3 pages are dumped, the 4th is not.
    const r = await runCliCaptured([
      'mem',
      'dump',
      archive,
      '--pid',
      '1',
      '--address',
      '0x8fbcff0',
      '--length',
      '64',
      '--hex',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^000008fbcff0 {2}([0-9a-f]{2} ){8} ([0-9a-f]{2} ){7}[0-9a-f]{2} {2}\|.{16}\|$/);
    expect(lines[1]).toMatch(/^000008fbd000 {2}00 00 .* \|\.{16}\| {2}\(not dumped\)$/);
    expect(lines[2]).toBe('*');
    expect(lines[3]).toBe('000008fbd030');
  });
});
