import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../testing/run-cli.js';
import { fixture } from '../testing/fixtures.js';

const CTHREADS = fixture('crio', 'checkpoint-cthreads_apps-server-2026-11-28T16:04:20Z.tar');

describe('every error reaches the user as one error line and one hint line', () => {
  it.each([
    // Errors thrown without a hint of their own get one that fits their kind and names the command.
    [
      'a usage error (exit 2 in mem search, whose exit 1 means nothing matched)',
      ['mem', 'search', CTHREADS, '-x', '4b43', '-i'],
      2,
      /^hint: run 'kcr mem search --help' for usage$/,
    ],
    ['a usage error', ['mem', 'maps', CTHREADS, '-o', 'wide'], 1, /^hint: use one of table, json, yaml$/],
    [
      'a range error',
      ['mem', 'dump', CTHREADS, '--pid', '1', '--address', '0x400000', '--length', '0'],
      1,
      /^hint: /,
    ],
  ])('%s', async (_name, args, code, hint) => {
    const r = await runCliCaptured(args);
    expect(r.code, r.stderr).toBe(code);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^error: /);
    expect(lines[1]).toMatch(hint);
  });
});

describe('kcr criu decode', () => {
  it.each([
    ['a tar', CTHREADS],
    ['a zstd archive', fixture('podman', 'busybox-counter.tar.zst')],
  ])('given %s without :MEMBER, says to name an image in it', async (_kind, archive) => {
    const r = await runCliCaptured(['criu', 'decode', archive]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: ${archive}: is a checkpoint archive, not a CRIU image\nhint: name an image in it: kcr criu decode ${archive}:checkpoint/pstree.img (kcr inspect ${archive} shows what is inside)\n`,
    );
  });
});
