/**
 * `kcr criu decode` agrees with crit (Debian's CRIU 3.17 pycriu) field by field, for every CRIU
 * image in every fixture. Where crit 3.17 does not know a CRIU 4 field, the difference is
 * spelled out below rather than the image skipped.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSafeNumber, parse } from 'lossless-json';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointArchive } from '../../src/archive/archive.js';
import { toCritJson } from '../../src/criu/crit-json.js';
import { decodeImage } from '../../src/criu/image.js';
import { isRawImage } from '../../src/criu/magic.js';
import { stringifyJson } from '../../src/util/json.js';
import { critAvailable, critDecode, critDecodeMany } from '../../src/testing/crit.js';
import { allFixtures, fixture } from '../../src/testing/fixtures.js';

/** Parse with big integers kept exact (addresses and register values exceed 2^53). */
const parseExact = (text: string): unknown =>
  parse(text, undefined, (value) => (isSafeNumber(value) ? Number(value) : BigInt(value)));

/**
 * CRIU 4.x fields that crit 3.17 does not know, by message path. crit parses and drops them,
 * kcr decodes them: they are removed from kcr's side before comparing.
 */
const CRIU4_ONLY: Record<string, string[]> = {
  INVENTORY: ['dump_criu_run_id', 'allow_uprobes'],
  CORE: ['tc.stop_signo', 'tc.membarrier_registration_mask', 'thread_core.cg_set'],
};

function dropPath(obj: Record<string, unknown>, path: string): void {
  const [head, ...rest] = path.split('.');
  if (rest.length === 0) delete obj[head!];
  else if (obj[head!] && typeof obj[head!] === 'object')
    dropPath(obj[head!] as Record<string, unknown>, rest.join('.'));
}

/** kcr's view mapped onto crit 3.17's schema. */
function asCrit317(image: { magic: string; entries: Record<string, unknown>[] }) {
  for (const entry of image.entries) {
    for (const path of CRIU4_ONLY[image.magic] ?? []) dropPath(entry, path);
    if (image.magic === 'PAGEMAP' && 'vaddr' in entry) {
      // CRIU 4.2 renamed field 2 to compat_nr_pages and added nr_pages as field 5; crit 3.17 calls field 2 nr_pages.
      const field2 = entry.compat_nr_pages;
      delete entry.nr_pages;
      delete entry.compat_nr_pages;
      if (field2 !== undefined) entry.nr_pages = field2;
    }
  }
  return image;
}

interface ImageCase {
  label: string;
  file: string;
  bytes: Buffer;
}

const work = mkdtempSync(join(tmpdir(), 'kcr-crit-'));
const cases: ImageCase[] = [];
let crit: Record<string, unknown> = {};

beforeAll(async () => {
  expect(critAvailable(), 'crit (Debian package criu) must be installed: .ci/run installs it').toBe(true);
  let n = 0;
  for (const { archive } of allFixtures()) {
    const a = await CheckpointArchive.open(fixture(archive));
    try {
      for (const m of a.members()) {
        const base = m.name.slice(m.name.lastIndexOf('/') + 1);
        const isImage = m.name.startsWith('checkpoint/') && base.endsWith('.img') && !isRawImage(base);
        if (m.type !== 'file' || !(isImage || m.name === 'stats-dump')) continue;
        const file = join(work, `${n++}-${base}`);
        const bytes = await a.read(m.name);
        writeFileSync(file, bytes);
        cases.push({ label: `${archive}:${m.name}`, file, bytes });
      }
    } finally {
      await a.close();
    }
  }
  crit = parseExact(critDecodeMany(cases.map((c) => c.file))) as Record<string, unknown>;
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('kcr criu decode against crit', () => {
  it('covers every CRIU image of every fixture', () => {
    expect(cases.length).toBeGreaterThan(200);
    const magics = new Set<string>(cases.map((c) => decodeImage(c.bytes, c.label).magic));
    for (const m of [
      'INVENTORY',
      'PSTREE',
      'CORE',
      'IDS',
      'MM',
      'PAGEMAP',
      'FDINFO',
      'FILES',
      'FS',
      'MNTS',
      'CGROUP',
      'SECCOMP',
      'TCP_STREAM',
      'SK_QUEUES',
      'GHOST_FILE',
      'REMAP_FPATH',
      'MEMFD_INODE',
      'STATS',
      'NETNS',
      'PIDNS',
      'UTSNS',
      'TIMENS',
      'IPC_VAR',
    ]) {
      expect(magics.has(m), m).toBe(true);
    }
  });

  it('matches crit field by field on every image', () => {
    const mismatches: string[] = [];
    for (const c of cases) {
      const ours = parseExact(stringifyJson(asCrit317(toCritJson(decodeImage(c.bytes, c.label))), 0));
      const theirs = crit[c.file];
      try {
        expect(ours).toEqual(theirs);
      } catch {
        mismatches.push(c.label);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('reads the CRIU 4.2 page count (field 5) where crit 3.17 sees only a zero field 2', () => {
    const pagemap = cases.find((c) => c.label.endsWith('cthreads-server.tar:checkpoint/pagemap-1.img'))!;
    const ours = toCritJson(decodeImage(pagemap.bytes, pagemap.label));
    const theirs = (crit[pagemap.file] as { entries: Array<Record<string, unknown>> }).entries;
    expect(theirs.slice(1).every((e) => e.nr_pages === 0)).toBe(true);
    const pages = ours.entries.slice(1).map((e) => Number(e.nr_pages));
    expect(pages.every((p) => p > 0)).toBe(true);
    expect(pages.reduce((a, b) => a + b, 0) * 4096).toBe(118784); // size of pages-1.img
  });

  it('produces what the crit command line prints, not only what pycriu returns', () => {
    const c = cases.find((x) => x.label.endsWith('cthreads-server.tar:checkpoint/files.img'))!;
    expect(parseExact(stringifyJson(toCritJson(decodeImage(c.bytes, c.label)), 0))).toEqual(
      parseExact(critDecode(c.file)),
    );
  });
});
