import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/archive-builder.js';
import { CheckpointArchive } from './archive.js';
import { indexTar, readAhead, type PositionalRead } from './tar-index.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const LONG_DIR = 'checkpoint/' + 'a-very-long-directory-name-that-keeps-going/'.repeat(3);
const FILES: Record<string, Buffer> = {
  'config.dump': Buffer.from('{"id":"x"}'),
  'checkpoint/pages-1.img': Buffer.alloc(9000, 7),
  [LONG_DIR + 'long-file-name-beyond-one-hundred-characters.img']: Buffer.from('long name contents'),
  empty: Buffer.alloc(0),
};

function makeTree(): string {
  const root = tmp.path('tree');
  for (const [name, data] of Object.entries(FILES)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), data);
  }
  return root;
}

describe('tar index', () => {
  const root = makeTree();

  it.each(['ustar', 'pax', 'gnu', 'oldgnu'])(
    'reads %s archives written by GNU tar, long names included',
    async (format) => {
      const path = tmp.path(`${format}.tar`);
      // ustar cannot hold the long name; tar skips it with a warning, which the expectations follow.
      execFileSync('tar', [`--format=${format}`, '-cf', path, '-C', root, '.'], { stdio: 'ignore' });
      const archive = await CheckpointArchive.open(path);
      try {
        for (const [name, data] of Object.entries(FILES)) {
          if (format === 'ustar' && name.length > 255) continue;
          expect(archive.member(name)?.size, name).toBe(data.length);
          expect(await archive.read(name)).toEqual(data);
        }
        expect(archive.members().some((m) => m.name.startsWith('./'))).toBe(false);
        expect(archive.member('checkpoint')?.type).toBe('dir');
      } finally {
        await archive.close();
      }
    },
  );

  it('reads a byte range of a member by offset without reading the rest', async () => {
    const path = tmp.path('range.tar');
    execFileSync('tar', ['-cf', path, '-C', root, 'checkpoint/pages-1.img', 'config.dump']);
    const archive = await CheckpointArchive.open(path);
    try {
      const member = archive.member('checkpoint/pages-1.img')!;
      expect(readFileSync(path).subarray(member.offset, member.offset + 4)).toEqual(Buffer.alloc(4, 7));
      expect(await archive.readRange('config.dump', 2, 2)).toEqual(Buffer.from('id'));
      expect(await archive.readRange('config.dump', 7, 100)).toEqual(Buffer.from('x"}'));
    } finally {
      await archive.close();
    }
  });

  it('indexes an extracted checkpoint directory like the tar it came from', async () => {
    const archive = await CheckpointArchive.open(root);
    try {
      expect(archive.kind).toBe('directory');
      expect(await archive.read('config.dump')).toEqual(FILES['config.dump']);
      expect(archive.member('checkpoint/pages-1.img')?.size).toBe(9000);
    } finally {
      await archive.close();
    }
  });
});

describe('reading ahead for the index', () => {
  const REAL = join(
    import.meta.dirname,
    '../../test/fixtures/crio-real/checkpoint-toolbox_forensics-toolbox-2026-12-02T00:49:14Z.tar',
  );

  /** Positional reads of `data`, counted. */
  function counted(data: Buffer): { read: PositionalRead; calls: () => number } {
    let calls = 0;
    return {
      read: async (position, length) => {
        calls++;
        return data.subarray(position, position + length);
      },
      calls: () => calls,
    };
  }

  it('indexes a real CRI-O archive exactly as reading each header alone does, in far fewer reads', async () => {
    const data = readFileSync(REAL);
    const plain = counted(data);
    const ahead = counted(data);
    const expected = await indexTar(plain.read, data.length, REAL);
    const members = await indexTar(readAhead(ahead.read, data.length), data.length, REAL);
    expect(members).toEqual(expected);
    expect(members.length).toBeGreaterThan(40);
    // One read per header without it; with it, one per 64 KiB window, plus one past each large member.
    expect(plain.calls()).toBeGreaterThanOrEqual(members.length);
    expect(ahead.calls()).toBeLessThan(plain.calls() / 4);
  });

  it('returns exactly the bytes asked for, short only at the end, across window edges', async () => {
    const data = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
    const read = readAhead(counted(data).read, data.length, 1024);
    for (const [position, length] of [
      [0, 512],
      [512, 512],
      [1000, 100], // crosses the first window's end
      [300, 10], // behind the window: read again
      [2900, 512], // runs past the end
      [1024, 2048], // longer than the window
    ] as const) {
      expect(await read(position, length)).toEqual(data.subarray(position, position + length));
    }
  });
});
