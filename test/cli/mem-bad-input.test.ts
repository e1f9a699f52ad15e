/**
 * Bad input to the memory commands gets one `error:` line naming the problem, one `hint:`
 * line, and exit code 2: unknown PIDs, addresses outside every mapping, invalid regexes and
 * hex strings, and a pages member cut short.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointArchive } from '../../src/archive/archive.js';
import { rewriteArchive, tempDir } from '../../src/testing/archive-builder.js';
import { fixture } from '../../src/testing/fixtures.js';
import { runCliCaptured } from '../../src/testing/run-cli.js';

const tmp = tempDir();
const CTHREADS = fixture('crio', 'checkpoint-cthreads_apps-server-2026-11-28T16:04:20Z.tar');
let truncated = '';

beforeAll(async () => {
  const archive = await CheckpointArchive.open(CTHREADS);
  const pages = await archive.read('checkpoint/pages-1.img');
  await archive.close();
  truncated = await rewriteArchive(CTHREADS, tmp.path('truncated-pages.tar'), {
    replace: { 'checkpoint/pages-1.img': pages.subarray(0, pages.length / 2) },
  });
});
afterAll(() => tmp.cleanup());

function expectOneClearError(r: { code: number; stderr: string; stdout: string }, message: RegExp) {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(message);
  expect(lines).toHaveLength(2);
  expect(lines[1]).toMatch(/^hint: /);
  expect(r.stdout).toBe('');
}

describe('memory commands with bad input', () => {
  it.each([
    ['mem maps', ['mem', 'maps', CTHREADS, '--pid', '4242']],
    ['mem dump', ['mem', 'dump', CTHREADS, '--pid', '4242', '--address', '0x8fbb710', '--length', '16']],
    ['mem search', ['mem', 'search', CTHREADS, '-s', 'x', '--pid', '4242']],
  ])('%s names an unknown pid and lists the known ones', async (_name, argv) => {
    const r = await runCliCaptured(argv);
    expectOneClearError(r, /no process with pid 4242/);
    expect(r.stderr).toMatch(/hint: the checkpoint holds pids 1 /);
  });

  it('an address outside every mapping', async () => {
    const r = await runCliCaptured([
      'mem',
      'dump',
      CTHREADS,
      '--pid',
      '1',
      '--address',
      '0x1000',
      '--length',
      '16',
    ]);
    expectOneClearError(r, /address 0x1000 is outside every mapping of pid 1/);
    expect(r.stderr).toMatch(/hint: run `kcr mem maps .* --pid 1`/);
  });

  it('a range that runs from a mapping into unmapped memory', async () => {
    // The heap ends at 0x8fdc000; nothing is mapped after it until the thread stacks.
    const r = await runCliCaptured([
      'mem',
      'dump',
      CTHREADS,
      '--pid',
      '1',
      '--address',
      '0x8fdbff0',
      '--length',
      '64',
    ]);
    expectOneClearError(r, /range 0x8fdbff0-0x8fdc030 of pid 1 runs past the mappings/);
  });

  it('an invalid regex', async () => {
    const r = await runCliCaptured(['mem', 'search', CTHREADS, '-r', 'tok_(live']);
    expectOneClearError(r, /invalid regex "tok_\(live": .*unterminated group/i);
  });

  it.each(['4b4', 'zz', '', '0x'])('an invalid hex string "%s"', async (hex) => {
    const r = await runCliCaptured(['mem', 'search', CTHREADS, '-x', hex]);
    expectOneClearError(r, /invalid hex bytes/);
  });

  it.each([
    ['mem search', ['mem', 'search', 'ARCHIVE', '-s', 'KCR-MARKER']],
    ['mem dump', ['mem', 'dump', 'ARCHIVE', '--pid', '1', '--address', '0x8fbb710', '--length', '16']],
  ])('%s on a truncated pages member', async (_name, argv) => {
    const r = await runCliCaptured(argv.map((a) => (a === 'ARCHIVE' ? truncated : a)));
    expectOneClearError(
      r,
      /pages-1\.img: truncated: the pagemap of pid 1 needs 118784 bytes, the member has 59392/,
    );
  });

  it('several patterns at once is a usage error (exit 2 for mem search, whose 1 means no match)', async () => {
    const r = await runCliCaptured(['mem', 'search', CTHREADS, '-s', 'a', '-r', 'b']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: give exactly one of -s STRING, -r REGEX or -x HEXBYTES/);
  });

  it('a whole-process dump without --output-file is a usage error (exit 1), not a flood of binary', async () => {
    const r = await runCliCaptured(['mem', 'dump', CTHREADS, '--pid', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/needs --output-file DIR.*\nhint: give --output-file DIR, --hex /);
    for (const line of r.stderr.trimEnd().split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(r.stdout).toBe('');
  });
});
