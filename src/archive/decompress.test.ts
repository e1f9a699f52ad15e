import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/archive-builder.js';
import { fixture } from '../testing/fixtures.js';
import { CheckpointArchive } from './archive.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const ORIGINAL = fixture('podman', 'cthreads-server.tar');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function memberDigests(path: string): Promise<Record<string, string>> {
  const a = await CheckpointArchive.open(path);
  try {
    const out: Record<string, string> = {};
    for (const m of a.members()) if (m.type === 'file') out[m.name] = sha(await a.read(m.name));
    return out;
  } finally {
    await a.close();
  }
}

describe('compressed archives', () => {
  it.each([
    ['gzip', (p: string) => writeFileSync(p, gzipSync(readFileSync(ORIGINAL)))],
    ['zstd', (p: string) => execFileSync('zstd', ['-q', '-f', ORIGINAL, '-o', p])],
  ])(
    'detects %s by its magic bytes, whatever the file is called, and reads the same members',
    async (kind, make) => {
      const path = tmp.path(`disguised-${kind}.tar`);
      make(path);
      const a = await CheckpointArchive.open(path);
      expect(a.compression).toBe(kind);
      await a.close();
      expect(await memberDigests(path)).toEqual(await memberDigests(ORIGINAL));
    },
  );

  it('decompresses into a private temp file (mode 0600) that is removed on close', async () => {
    const tmpRoot = tmp.path('tmproot');
    execFileSync('mkdir', ['-p', tmpRoot]);
    process.env.KCR_TMPDIR = tmpRoot;
    try {
      const a = await CheckpointArchive.open(fixture('podman', 'busybox-counter.tar.zst'));
      const [dir] = readdirSync(tmpRoot);
      const file = `${tmpRoot}/${dir}/archive.tar`;
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(`${tmpRoot}/${dir}`).mode & 0o777).toBe(0o700);
      await a.close();
      expect(readdirSync(tmpRoot)).toEqual([]);
    } finally {
      delete process.env.KCR_TMPDIR;
    }
  });

  it('reports a damaged compressed file and leaves no temp file behind', async () => {
    const tmpRoot = tmp.path('tmproot2');
    execFileSync('mkdir', ['-p', tmpRoot]);
    const path = tmp.path('cut.tar.zst');
    writeFileSync(path, readFileSync(fixture('podman', 'busybox-counter.tar.zst')).subarray(0, 5000));
    process.env.KCR_TMPDIR = tmpRoot;
    try {
      await expect(CheckpointArchive.open(path)).rejects.toThrow(
        /cut\.tar\.zst: (cannot decompress zstd data|truncated tar)/,
      );
      expect(readdirSync(tmpRoot)).toEqual([]);
    } finally {
      delete process.env.KCR_TMPDIR;
    }
  });

  /** A gzip of `header` then GiBs of zeros, made cheaply: gzip members may be concatenated. */
  let zeros8MiB: Buffer | undefined;
  function gzipBomb(header: Buffer, copies: number): Buffer {
    zeros8MiB ??= gzipSync(Buffer.alloc(8 * 1024 * 1024), { level: 1 });
    return Buffer.concat([gzipSync(header), ...Array.from({ length: copies }, () => zeros8MiB!)]);
  }

  /** A ustar header claiming `size` bytes for `name` (checksummed, otherwise empty). */
  function tarHeader(name: string, size: number): Buffer {
    const h = Buffer.alloc(512);
    h.write(name, 0);
    h.write('0000644\0', 100);
    h.write(size.toString(8).padStart(11, '0') + '\0', 124);
    h.write('0', 156);
    h.write('ustar\0', 257);
    h.write('00', 263);
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    return h;
  }

  it('stops a gzip bomb at the inflated-size bound, and leaves no temp file', async () => {
    const tmpRoot = tmp.path('tmproot-bomb');
    execFileSync('mkdir', ['-p', tmpRoot]);
    const path = tmp.path('bomb.tar.gz');
    // 4 GiB of "member data" behind a valid header: only the size bound stops it.
    writeFileSync(path, gzipBomb(tarHeader('config.dump', 4 * 1024 ** 3), 512));
    process.env.KCR_TMPDIR = tmpRoot;
    try {
      await expect(
        CheckpointArchive.open(path, { maxInflatedBytes: 32 * 1024 * 1024 }),
      ).rejects.toMatchObject({
        code: 'invalid-input',
        message: `${path}: inflates to more than 32.0 MiB`,
        hint: expect.stringContaining('KCR_TMPDIR'),
      });
      expect(readdirSync(tmpRoot)).toEqual([]);
    } finally {
      delete process.env.KCR_TMPDIR;
    }
  });

  it.each([
    ['gzip', (b: Buffer) => gzipSync(b)],
    ['zstd', (b: Buffer) => execFileSync('zstd', ['-q', '-c'], { input: b })],
  ])('stops at the first %s block that is not tar, long before the end of the data', async (_kind, pack) => {
    const path = tmp.path(`junk-${_kind}`);
    writeFileSync(
      path,
      pack(
        Buffer.concat([
          tarHeader('config.dump', 10),
          Buffer.alloc(512, 0x41),
          Buffer.alloc(8 * 1024 * 1024, 0x42),
        ]),
      ),
    );
    await expect(CheckpointArchive.open(path)).rejects.toMatchObject({
      code: 'invalid-input',
      message: expect.stringContaining(
        'is not a tar archive (a block that is not a tar header at offset 1024)',
      ),
    });
  });

  it('reads a zstd archive made with --long=31 (a 2 GiB window)', async () => {
    const path = tmp.path('long31.tar.zst');
    // Through a pipe, so that zstd cannot shrink the window to the input size.
    writeFileSync(path, execFileSync('sh', ['-c', `cat "${ORIGINAL}" | zstd -q --long=31 -c`]));
    expect(await memberDigests(path)).toEqual(await memberDigests(ORIGINAL));
  });

  it('stops decompressing when the signal fires, and leaves no temp file', async () => {
    const tmpRoot = tmp.path('tmproot-abort');
    execFileSync('mkdir', ['-p', tmpRoot]);
    const path = tmp.path('abort-bomb.tar.gz');
    writeFileSync(path, gzipBomb(tarHeader('config.dump', 4 * 1024 ** 3), 512));
    process.env.KCR_TMPDIR = tmpRoot;
    try {
      const controller = new AbortController();
      const opening = CheckpointArchive.open(path, { signal: controller.signal });
      setTimeout(() => controller.abort(), 200);
      const started = Date.now();
      await expect(opening).rejects.toMatchObject({ code: 'cancelled' });
      expect(Date.now() - started).toBeLessThan(5000);
      expect(readdirSync(tmpRoot)).toEqual([]);
    } finally {
      delete process.env.KCR_TMPDIR;
    }
  });
});
