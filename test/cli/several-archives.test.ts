/**
 * Commands over several archives (`show`, `inspect`, `mem`) and over a directory (`list`): a good
 * archive is always shown, a bad one is reported by name, and the exit code tells scripts (2).
 * `kcr mem` needs only the pagemaps: a missing pages member is reported as missing.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointArchive } from '../../src/archive/archive.js';
import { rewriteArchive, tempDir } from '../../src/testing/archive-builder.js';
import { CRIO_REAL, fixture, loadFacts } from '../../src/testing/fixtures.js';
import { runCliCaptured } from '../../src/testing/run-cli.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const [TOOLBOX_CASE, COUNTER_CASE] = CRIO_REAL;
const TOOLBOX = fixture(TOOLBOX_CASE!.archive);
const COUNTER = fixture(COUNTER_CASE!.archive);
const ZST = fixture('podman', 'busybox-counter.tar.zst');
let bad = '';
let noPages = '';
let noDump = '';

beforeAll(async () => {
  bad = tmp.path('bad.tar');
  writeFileSync(bad, 'this is not a tar archive, only text long enough to be read as one header');
  noPages = await rewriteArchive(COUNTER, tmp.path('no-pages.tar'), { drop: ['checkpoint/pages-1.img'] });
  const archive = await CheckpointArchive.open(COUNTER);
  const images = archive.members().filter((m) => m.name.startsWith('checkpoint/'));
  await archive.close();
  noDump = await rewriteArchive(COUNTER, tmp.path('no-dump.tar'), { drop: images.map((m) => m.name) });
});

describe('kcr show with several archives', () => {
  it('prints the good rows, reports the bad archive by name, and exits 2', async () => {
    const r = await runCliCaptured(['show', TOOLBOX, bad, COUNTER]);
    expect(r.code).toBe(2);
    const rows = r.stdout.trim().split('\n');
    expect(rows).toHaveLength(3);
    expect(rows[1]).toMatch(/^toolbox\s+toolbox\s+forensics\s/);
    expect(rows[2]).toMatch(/^counter\s+counter\s+default\s/);
    expect(r.stderr).toMatch(
      new RegExp(`^error: ${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .*\nhint: `),
    );
  });

  it('says that an archive without the CRIU dump is not a complete checkpoint', async () => {
    const r = await runCliCaptured(['show', noDump]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^error: .*no-dump\.tar: not a complete checkpoint: it has no checkpoint\/pstree\.img/,
    );
    expect(r.stdout).toBe('');
  });

  it('prints an array with -o json, for one archive as for several', async () => {
    const one = JSON.parse((await runCliCaptured(['show', TOOLBOX, '-o', 'json'])).stdout) as unknown[];
    const two = JSON.parse(
      (await runCliCaptured(['show', TOOLBOX, COUNTER, '-o', 'json'])).stdout,
    ) as unknown[];
    expect(one).toHaveLength(1);
    expect(two).toHaveLength(2);
  });
});

describe('kcr inspect with several archives', () => {
  it('prints a List object with -o json, one inspection per archive', async () => {
    const r = await runCliCaptured(['inspect', TOOLBOX, COUNTER, '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      kind: string;
      items: Array<{ kind: string; checkpoint: { pod: string } }>;
    };
    expect(doc.kind).toBe('List');
    expect(doc.items.map((i) => [i.kind, i.checkpoint.pod])).toEqual([
      ['CheckpointInspection', 'toolbox'],
      ['CheckpointInspection', 'counter'],
    ]);
  });

  it('shows the good archives and reports the bad one, exit 2', async () => {
    const r = await runCliCaptured(['inspect', bad, COUNTER]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Container:     counter (pod counter, namespace default)');
    expect(r.stderr).toMatch(/^error: .*bad\.tar/);
  });
});

describe('kcr mem', () => {
  it('takes several archives, one table after the other', async () => {
    const r = await runCliCaptured(['mem', TOOLBOX, COUNTER]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Archive: ${TOOLBOX}\n`);
    expect(r.stdout).toContain(`Archive: ${COUNTER}\n`);
    const doc = JSON.parse((await runCliCaptured(['mem', TOOLBOX, COUNTER, '-o', 'json'])).stdout) as {
      items: Array<{ archive: string; processes: unknown[] }>;
    };
    expect(doc.items.map((i) => [i.archive, i.processes.length])).toEqual([
      [TOOLBOX, loadFacts(TOOLBOX_CASE!.facts).processes.list.length],
      [COUNTER, loadFacts(COUNTER_CASE!.facts).processes.list.length],
    ]);
  });

  it('gives the sizes from the pagemaps when a pages member is missing, and says it is missing', async () => {
    const facts = loadFacts(COUNTER_CASE!.facts);
    const r = await runCliCaptured(['mem', noPages, '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ pid: number; dumpedBytes: number; pagesProblem?: string }>;
    for (const p of facts.processes.list) {
      const row = rows.find((x) => x.pid === p.pid)!;
      expect(row.dumpedBytes).toBe(p.dumped_pages * 4096);
    }
    expect(r.stderr).toMatch(/warning: .*pages-1\.img: missing/);
    expect(r.stderr).not.toMatch(/truncated|has 0/);
  });

  it('reports a missing pages member as missing when the memory itself is asked for', async () => {
    const r = await runCliCaptured(['mem', 'search', noPages, '-s', 'i=7']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: pages-1\.img: missing: the pagemap of pid 1 names it/);
  });
});

describe('kcr list', () => {
  const dir = tmp.path('checkpoints');
  beforeAll(() => {
    mkdirSync(dir);
    for (const p of [TOOLBOX, COUNTER, ZST]) copyFileSync(p, join(dir, basename(p)));
    writeFileSync(join(dir, 'checkpoint-broken_default-broken-2026-12-03T00:00:00Z.tar'), 'not a tar at all');
  });

  it('reads engine and checkpoint time from each archive, compressed ones too, and marks unreadable rows', async () => {
    const r = await runCliCaptured(['list', dir, '-o', 'json']);
    const rows = JSON.parse(r.stdout) as Array<{
      path: string;
      engine?: string;
      time: string;
      timeSource: string;
      error?: string;
      container?: string;
    }>;
    const by = (name: string) => rows.find((x) => x.path.endsWith(name))!;
    expect(by(basename(TOOLBOX))).toMatchObject({
      engine: 'cri-o',
      time: '2026-12-02T00:49:14.732Z',
      timeSource: 'archive',
    });
    expect(by('busybox-counter.tar.zst')).toMatchObject({
      engine: 'podman',
      container: 'counter',
      timeSource: 'archive',
    });
    expect(by('broken-2026-12-03T00:00:00Z.tar')).toMatchObject({ timeSource: 'name' });
    expect(by('broken-2026-12-03T00:00:00Z.tar').error).toBeTruthy();
  });

  it('says in the default table which row could not be read, and exits 2', async () => {
    const r = await runCliCaptured(['list', dir]);
    expect(r.code).toBe(2);
    const [header, ...rows] = r.stdout.trim().split('\n');
    expect(header).toMatch(/\sSTATUS$/);
    expect(rows.find((l) => l.includes('broken'))).toMatch(/unreadable: /);
    expect(rows.filter((l) => l.endsWith(' ok'))).toHaveLength(3);
  });
});
