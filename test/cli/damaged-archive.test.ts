/**
 * `kcr inspect` on a damaged archive prints every view it can still build, names the others
 * (`errors` in JSON, `warning:` lines in the tree) and exits 2 so that scripts notice; a view that
 * was asked for but whose input is absent says so instead of printing nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointArchive } from '../../src/archive/archive.js';
import { rewriteArchive, tempDir } from '../../src/testing/archive-builder.js';
import { CRIO_REAL, fixture } from '../../src/testing/fixtures.js';
import { runCliCaptured } from '../../src/testing/run-cli.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const TOOLBOX = fixture(CRIO_REAL[0]!.archive);
let flipped = '';
let noStats = '';
let noFiles = '';
let noCore = '';

beforeAll(async () => {
  const a = await CheckpointArchive.open(TOOLBOX);
  const files = Buffer.from(await a.read('checkpoint/files.img'));
  await a.close();
  files[8] = files[8]! ^ 0xff; // the first entry's length: the image no longer decodes
  flipped = await rewriteArchive(TOOLBOX, tmp.path('flipped.tar'), {
    replace: { 'checkpoint/files.img': files },
  });
  noStats = await rewriteArchive(TOOLBOX, tmp.path('no-stats.tar'), { drop: ['stats-dump'] });
  noFiles = await rewriteArchive(TOOLBOX, tmp.path('no-files.tar'), { drop: ['checkpoint/files.img'] });
  noCore = await rewriteArchive(TOOLBOX, tmp.path('no-core.tar'), { drop: ['checkpoint/core-7.img'] });
});

interface Doc {
  processes?: unknown[];
  files?: unknown[];
  sockets?: unknown[];
  mounts?: unknown;
  rootfs?: unknown;
  stats?: unknown;
  errors?: Array<{ view: string; image?: string; message: string }>;
}

describe('kcr inspect on a damaged archive', () => {
  it('prints the views that do not need the damaged image, names the others, and exits 2', async () => {
    const r = await runCliCaptured(['inspect', flipped, '--all', '-o', 'json']);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as Doc;
    expect(doc.processes).toHaveLength(9);
    expect(doc.mounts).toBeDefined();
    expect(doc.rootfs).toBeDefined();
    expect(doc.stats).toBeDefined();
    expect(doc.files).toBeUndefined();
    expect(doc.errors!.map((e) => [e.view, e.image])).toEqual([
      ['files', 'files.img'],
      ['sockets', 'files.img'],
    ]);
    expect(doc.errors![0]!.message).toMatch(/^checkpoint\/files\.img: /);
  });

  it('warns on stderr in the tree output, after printing the rest', async () => {
    const r = await runCliCaptured(['inspect', flipped, '--all']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Process tree');
    expect(r.stdout).not.toContain('Open files');
    expect(r.stderr).toMatch(/^warning: files not shown: checkpoint\/files\.img: /m);
    expect(r.stderr).toMatch(/^warning: sockets not shown: /m);
  });

  it('says that --stats has no stats-dump to show', async () => {
    const r = await runCliCaptured(['inspect', noStats, '--stats', '-o', 'json']);
    expect(r.code).toBe(2);
    expect((JSON.parse(r.stdout) as Doc).errors).toEqual([
      {
        view: 'stats',
        image: 'stats-dump',
        message: `${noStats}: has no stats-dump (CRIU wrote no dump statistics)`,
      },
    ]);
  });

  it('says that --files and --sockets have no files.img to read', async () => {
    const r = await runCliCaptured(['inspect', noFiles, '--files', '--sockets']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^warning: files not shown: .*has no checkpoint\/files\.img$/m);
    expect(r.stderr).toMatch(/^warning: sockets not shown: .*has no checkpoint\/files\.img$/m);
  });

  it('reports a per-task image that CRIU always writes as missing, not as an empty task', async () => {
    const r = await runCliCaptured(['inspect', noCore, '--ps-tree', '--rootfs', '-o', 'json']);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as Doc;
    expect(doc.rootfs).toBeDefined();
    expect(doc.errors).toEqual([
      { view: 'processes', image: 'core-7.img', message: `${noCore}: has no checkpoint/core-7.img` },
    ]);
  });
});
