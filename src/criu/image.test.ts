import { describe, expect, it } from 'vitest';
import { CheckpointArchive } from '../archive/archive.js';
import { fixture } from '../testing/fixtures.js';
import { decodeEntries, decodeImage, decodeProjected } from './image.js';
import { coreEntry, inventoryEntry, pstreeEntry } from './messages/core.js';
import { f, message } from './schema.js';

const hex = (s: string) => Buffer.from(s.replace(/[\s|]/g, ''), 'hex');

describe('CRIU image framing', () => {
  it('reads the common magic, the type magic and length-prefixed entries', () => {
    const img = hex(
      '19435654 | 30302750 | 08000000 | 0801100018012001 | 0c000000 | 080710011801200128072808',
    );
    expect(decodeEntries(img, 'pstree.img', pstreeEntry)).toEqual([
      { pid: 1, ppid: 0, pgid: 1, sid: 1 },
      { pid: 7, ppid: 1, pgid: 1, sid: 1, threads: [7, 8] },
    ]);
  });

  it('reads inventory.img, which has only its own magic', () => {
    const img = hex('16313158 | 08000000 | 0802100120013000');
    expect(decodeEntries(img, 'inventory.img', inventoryEntry)).toEqual([
      { img_version: 2, fdinfo_per_id: true, ns_per_id: true, lsmtype: 0 },
    ]);
  });

  it('reads service images (stats-dump) and header-only images', () => {
    expect(decodeImage(hex('40591055 06330957'), 'stats-dump')).toEqual({ magic: 'STATS', entries: [] });
  });

  it('keeps the raw tail of a ghost file without chunks', () => {
    const img = hex('19435654 05365852 | 02000000 | 5000 | 68656c6c6f');
    const [entry] = decodeImage(img, 'ghost-file-1.img').entries;
    expect(entry!.extra).toEqual({ kind: 'bytes', data: Buffer.from('hello') });
  });

  it.each([
    ['a file shorter than the magic', hex('1943'), /truncated: shorter than the 4-byte magic/],
    ['an unknown magic', hex('19435654 efbeadde'), /unknown magic 0xdeadbeef/],
    [
      'an entry longer than the file',
      hex('19435654 30302750 ff000000 0801'),
      /entry 0: length 255 is larger than the 2 bytes left/,
    ],
    [
      'a size prefix cut short',
      hex('19435654 30302750 0800'),
      /truncated: entry 0 size needs 4 bytes, 2 left/,
    ],
    ['an image type kcr does not decode', hex('19435654 47304259'), /kcr does not decode APPARMOR images/],
  ])('names the file and the problem for %s', (_what, img, message) => {
    expect(() => decodeImage(img, 'x.img')).toThrow(message);
  });
});

describe('projected decoding', () => {
  const coreName = message('core_entry', {
    tc: f.message(3, message('task_core_entry', { comm: f.string(6) })),
  });

  it.each([
    'podman/nginx-webserver-1.tar',
    'crio-real/checkpoint-counter_default-counter-2026-12-02T00:52:29Z.tar',
  ])('gives exactly the projected fields of the full decode of each core in %s', async (archive) => {
    const a = await CheckpointArchive.open(fixture(archive));
    try {
      const cores = a.members().filter((m) => /\/core-\d+\.img$/.test(m.name));
      expect(cores.length).toBeGreaterThan(0);
      for (const { name } of cores) {
        const bytes = await a.read(name);
        const full = decodeEntries(bytes, name, coreEntry);
        const projected = decodeProjected(bytes, name, coreEntry, coreName);
        expect(projected).toEqual(full.map((c) => ({ tc: { comm: c.tc?.comm } })));
        expect(projected[0]?.tc?.comm).toMatch(/\w/);
      }
    } finally {
      await a.close();
    }
  });

  it('refuses an image of another type as the full decode does', () => {
    const pstree = hex('19435654 | 30302750 | 08000000 | 0801100018012001');
    expect(() => decodeProjected(pstree, 'core-1.img', coreEntry, coreName)).toThrow(
      /core-1\.img: entry 0 is a pstree_entry, expected core_entry/,
    );
    expect(() => decodeProjected(pstree, 'pstree.img', pstreeEntry, coreName)).toThrow(/no projection/);
  });
});
