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
});
