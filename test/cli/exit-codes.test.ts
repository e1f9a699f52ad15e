/**
 * Exit codes as the README's "Conventions" documents them, decided in one place
 * (src/cli/exit-codes.ts): a bad flag value is a usage error (exit 1) in every command, except in
 * `kcr mem search`, whose exit 1 means "nothing matched" (as grep's): there every error exits 2.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../src/testing/archive-builder.js';
import { kcrWithHome, WEB_1 } from '../../src/testing/backup-cli.js';
import { REPO_ROOT } from '../../src/testing/built-cli.js';
import { fixture } from '../../src/testing/fixtures.js';

const tmp = tempDir('kcr-exit-codes-');
afterAll(() => tmp.cleanup());
const kcr = kcrWithHome(tmp.path('home'), tmp.dir);
const ARCHIVE = fixture('podman', 'cthreads-server.tar');

/** One error line and one hint line, each within an 80-column terminal. */
function expectOneErrorOneHint(stderr: string): void {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(2);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[1]).toMatch(/^hint: /);
  for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
}

describe('exit codes', () => {
  it.each([
    ['an invalid selector', ['backups', '-l', 'a=b=c']],
    ['an invalid duration', ['backups', '--since', '5x']],
    ['an invalid number', ['backups', '--limit', 'x']],
    ['an unknown -o format', ['backups', '-o', 'xml']],
    ['an invalid size', ['prune', '--max-size', '5q', '--dry-run']],
    ['an invalid --timeout', ['restore', 'x.tar', '--timeout', '0']],
    ['an unknown flag', ['verify', '--bogus']],
    ['an invalid --pid', ['mem', 'maps', ARCHIVE, '--pid', 'x']],
  ])('%s is a usage error: exit 1, one error and one hint', async (_what, argv) => {
    const r = await kcr(...argv);
    expect(r.code, r.stderr).toBe(1);
    expectOneErrorOneHint(r.stderr);
  });

  it.each([
    ['a store that is not there', ['backup', WEB_1, '--store', 'nosuch']],
    ['a backup id that is not there', ['verify', '20261206t000000z-00000000']],
    ['a backup id to pin that is not there', ['backup', 'pin', '20261206t000000z-00000000']],
    ['an archive that is not there', ['mem', 'maps', 'nosuch.tar']],
  ])('%s is any other error: exit 2, one error and one hint', async (_what, argv) => {
    const r = await kcr(...argv);
    expect(r.code, r.stderr).toBe(2);
    expectOneErrorOneHint(r.stderr);
  });

  it('a bad flag value is said once: the parser names the flag and the value', async () => {
    const r = await kcr('backups', '--limit', 'x');
    expect(r.stderr).toBe(
      `error: backups: --limit takes a whole number, got "x"\nhint: run 'kcr backups --help' for usage\n`,
    );
  });

  it.each([
    ['an invalid regex', ['-r', '[']],
    ['invalid hex bytes', ['-x', 'zz']],
    ['two patterns', ['-s', 'a', '-r', 'b']],
    ['an invalid --max', ['-s', 'a', '--max', 'abc']],
    ['an unknown -o format', ['-s', 'a', '-o', 'xml']],
    ['an unknown flag', ['-s', 'a', '--bogus']],
  ])('kcr mem search with %s exits 2, as grep, so it never reads as "no match"', async (_what, flags) => {
    const r = await kcr('mem', 'search', ARCHIVE, ...flags);
    expect(r.code, r.stderr).toBe(2);
    expectOneErrorOneHint(r.stderr);
  });

  it('kcr mem search exits 0 on a match and 1 on none, and its --help and the README say so', async () => {
    expect((await kcr('mem', 'search', ARCHIVE, '-s', 'cthreads', '-c')).code).toBe(0);
    expect((await kcr('mem', 'search', ARCHIVE, '-s', 'no-such-string-zz', '-q')).code).toBe(1);
    const help = (await kcr('mem', 'search', '--help')).stdout;
    expect(help.replace(/\s+/g, ' ')).toContain(
      'Exit status, as grep: 0 when something matched, 1 when nothing did, 2 on any error (a bad pattern or flag included).',
    );
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ');
    expect(readme).toContain('1 usage error (a flag, argument or value kcr cannot take), 2 any other error;');
    expect(readme).toContain(
      '`kcr mem search` exits 0 when something matched, 1 when nothing did and 2 on any error, usage errors and bad patterns included, as grep does',
    );
  });
});
