import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileAtomic, tempNameFor, writeFileAtomic } from './atomic-file.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kcr-atomic-test-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('atomic files', () => {
  it('names the temp file in the target directory, hidden and distinct per call', () => {
    const a = tempNameFor('/data/out.tar');
    expect(a).toMatch(new RegExp(`^/data/\\.out\\.tar\\.kcr-${process.pid}-[0-9a-f]{8}\\.tmp$`));
    expect(tempNameFor('/data/out.tar')).not.toBe(a);
  });

  it('writes a file whose name is 250 bytes: the temp name is cut to fit NAME_MAX', async () => {
    const name = `${'p'.repeat(200)}_default-webserver-2026-12-06T07:39:29Z.tar`.padEnd(250, 'x');
    expect(Buffer.byteLength(tempNameFor(join(dir, name)).split('/').at(-1)!)).toBeLessThanOrEqual(255);
    await writeFileAtomic(join(dir, name), 'pod object');
    expect(await readFile(join(dir, name), 'utf8')).toBe('pod object');
    await rm(join(dir, name));
  });

  it('copies a file under its new name with mode 0600 by default, and leaves no temp file', async () => {
    const src = join(dir, 'src');
    await writeFile(src, 'layer bytes', { mode: 0o644 });
    const copy = join(dir, 'copy');
    await copyFileAtomic(src, copy);
    expect(await readFile(copy, 'utf8')).toBe('layer bytes');
    expect((await stat(copy)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).sort()).toEqual(['copy', 'src']);
  });

  it('leaves neither the target nor a temp file when the copy fails', async () => {
    const empty = await mkdtemp(join(dir, 'fail-'));
    await expect(copyFileAtomic(join(dir, 'missing'), join(empty, 'copy'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
    expect(await readdir(empty)).toEqual([]);
  });

  it('discards a streamed file that its verify step refuses', async () => {
    const empty = await mkdtemp(join(dir, 'verify-'));
    await expect(
      writeFileAtomic(join(empty, 'out'), Readable.from([Buffer.from('data')]), {
        verify: () => {
          throw new Error('digest mismatch');
        },
      }),
    ).rejects.toThrow('digest mismatch');
    expect(await readdir(empty)).toEqual([]);
  });

  it('writes into an existing character device instead of renaming over it (-o /dev/null)', async () => {
    const before = await stat('/dev/null');
    await writeFileAtomic('/dev/null', Readable.from([Buffer.from('archive bytes')]));
    const after = await stat('/dev/null');
    expect(after.isCharacterDevice()).toBe(true);
    expect(after.rdev).toBe(before.rdev);
    expect(after.ino).toBe(before.ino);
  });

  it('writes into an existing FIFO, which stays a FIFO, and the reader gets the bytes', async () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const reader = readFile(fifo, 'utf8');
    await writeFileAtomic(fifo, 'through the pipe');
    expect(await reader).toBe('through the pipe');
    expect((await stat(fifo)).isFIFO()).toBe(true);
    expect((await readdir(dir)).filter((n) => n.includes('.kcr-'))).toEqual([]);
  });

  it('refuses to replace a directory, naming it', async () => {
    const sub = join(dir, 'sub');
    await mkdir(sub);
    await expect(writeFileAtomic(sub, 'x')).rejects.toMatchObject({
      code: 'invalid-input',
      message: `${sub}: is a directory; kcr will not replace it`,
    });
    expect((await stat(sub)).isDirectory()).toBe(true);
  });

  it('removes the temp files of killed kcr runs (dead pid) on the next write there, and no others', async () => {
    const here = join(dir, 'stale');
    await mkdir(here);
    // A pid that cannot exist (above pid_max), one that does (ours), and a file that is not ours.
    const dead = join(here, '.dump.bin.kcr-99999999-0123abcd.tmp');
    const live = join(here, `.dump.bin.kcr-${process.ppid}-0123abcd.tmp`);
    const other = join(here, '.dump.bin.tmp');
    for (const f of [dead, live, other]) await writeFile(f, 'process memory');
    await writeFileAtomic(join(here, 'next.tar'), 'new');
    expect((await readdir(here)).sort()).toEqual(
      ['.dump.bin.kcr-' + process.ppid + '-0123abcd.tmp', '.dump.bin.tmp', 'next.tar'].sort(),
    );
  });
});
