/**
 * Memory views decode only the images they need (memory-images.ts), and what they build from
 * them is what the full decode gives: same processes, names, mappings and shared memory.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointArchive } from '../../archive/archive.js';
import { tempDir } from '../../testing/archive-builder.js';
import { DISTINCT_IMAGE_SETS, fixture } from '../../testing/fixtures.js';
import { CheckpointImages, withCheckpointImages } from '../checkpoint-images.js';
import { withCheckpoint } from '../checkpoint.js';
import { loadDumpImages } from '../images.js';
import { loadMemoryContext, type MemoryContext } from './context.js';

const tmp = tempDir('kcr-memory-images-');
afterAll(() => tmp.cleanup());

/** What a memory view shows of a context: processes with their names and mappings, shared objects. */
function shown(context: MemoryContext) {
  return {
    processes: context.processes.map((p) => ({
      pid: p.pid,
      comm: p.comm,
      zombie: p.task.zombie,
      runs: p.memory?.runs.length,
      mappings: p.mappings,
    })),
    shmem: [...context.shmem.keys()].sort(),
  };
}

/** The image files a memory context reads whole (to decode them): every member read, less the directory. */
async function decodedBy(path: string): Promise<{ context: MemoryContext; images: string[] }> {
  return withCheckpointImages(path, async (cp) => {
    const images: string[] = [];
    const read = cp.archive.read.bind(cp.archive);
    cp.archive.read = (member: string) => {
      images.push(member.slice(cp.imageDir.length));
      return read(member);
    };
    return { context: await loadMemoryContext(cp), images: [...new Set(images)].sort() };
  });
}

describe.each(DISTINCT_IMAGE_SETS)('memory views of %s', (archive) => {
  it('are what the full decode of every image gives', async () => {
    const partial = await withCheckpointImages(fixture(archive), (cp) => loadMemoryContext(cp));
    const full = await withCheckpoint(fixture(archive), async (cp) =>
      loadMemoryContext(cp, { images: await loadDumpImages(cp) }),
    );
    expect(shown(partial)).toEqual(shown(full));
    expect(partial.processes.length).toBeGreaterThan(0);
  });

  it('decode pstree, and per process its main thread core, mm and pagemap; files only to name mappings', async () => {
    const { context, images } = await decodedBy(fixture(archive));
    const pids = context.processes.map((p) => p.pid);
    const live = context.processes.filter((p) => !p.task.zombie).map((p) => p.pid);
    const expected = [
      'pstree.img',
      ...pids.map((pid) => `core-${pid}.img`),
      ...live.flatMap((pid) => [`mm-${pid}.img`, `pagemap-${pid}.img`]),
    ];
    const named = context.processes.some((p) =>
      p.mappings.some((m) => m.kind === 'file' || m.kind === 'memfd'),
    );
    if (named) expected.push('files.img');
    const others = images.filter((i) => !expected.includes(i));
    // memfd.img and the shared-memory pagemaps are read only where a mapping needs them.
    expect(others.filter((i) => !/^(memfd|pagemap-shmem-\d+)\.img$/.test(i))).toEqual([]);
    expect(images).toEqual(expect.arrayContaining(expected));
  });
});

describe('a dump with damaged images', () => {
  const dir = tmp.path('nginx');
  const extract = async () => {
    const a = await CheckpointArchive.open(fixture('podman/nginx-webserver-1.tar'));
    try {
      for (const m of a.members()) {
        if (m.type !== 'file') continue;
        mkdirSync(dirname(join(dir, m.name)), { recursive: true });
        writeFileSync(join(dir, m.name), await a.read(m.name));
      }
    } finally {
      await a.close();
    }
  };

  it('still shows memory when images memory does not read are damaged, and names a missing one it needs', async () => {
    await extract();
    const intact = shown(await withCheckpointImages(dir, (cp) => loadMemoryContext(cp)));
    // Open files, sockets and mounts: no part of memory.
    for (const image of ['fdinfo-2.img', 'fdinfo-3.img', 'mountpoints-13.img', 'fs-6.img', 'ids-6.img']) {
      const path = join(dir, 'checkpoint', image);
      writeFileSync(path, Buffer.from('not a CRIU image'));
    }
    expect(shown(await withCheckpointImages(dir, (cp) => loadMemoryContext(cp)))).toEqual(intact);
    rmSync(join(dir, 'checkpoint', 'mm-6.img'));
    await expect(withCheckpointImages(dir, (cp) => loadMemoryContext(cp))).rejects.toThrow(
      /has no checkpoint\/mm-6\.img/,
    );
  });

  it('opens for memory without reading the engine metadata', async () => {
    await extract();
    writeFileSync(join(dir, 'config.dump'), '{ not json');
    const cp = await CheckpointImages.openImages(dir);
    try {
      expect((await loadMemoryContext(cp)).processes.map((p) => p.pid)).toContain(6);
    } finally {
      await cp.close();
    }
    await expect(withCheckpoint(dir, async () => undefined)).rejects.toThrow(/config\.dump/);
  });
});
