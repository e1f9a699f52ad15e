// Makes a large checkpoint archive from a real fixture: the pages member of one process grows
// to the requested size, with a pagemap entry and a VMA to match, so every kcr view stays valid.
// Reused by the inspect, mem and image benches. Content: a 1 MiB pseudo-random block repeated,
// with MARKER planted every 64 MiB (and once across a page boundary) for search benches.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pack as tarPack } from 'tar-stream';
import { CheckpointArchive } from '../../dist/archive/index.js';
import { decodeImage, MAGICS, messages } from '../../dist/criu/index.js';
// Writing CRIU images is no part of kcr's public face: the bench takes the encoder from inside.
import { IMG_COMMON } from '../../dist/criu/magic.js';
import { encodeMessage } from '../../dist/criu/schema.js';

const here = dirname(fileURLToPath(import.meta.url));
export const WORK = join(here, '..', '.work');
export const SOURCE = join(
  here,
  '..',
  '..',
  'test',
  'fixtures',
  'crio',
  'checkpoint-cthreads_apps-server-2026-11-28T16:04:20Z.tar',
);
export const MARKER = 'KCR-BENCH-NEEDLE-0123456789';
export const GROWN_PID = 1;
export const GROWN_VADDR = 0x7ffe00000000n;
const PAGE = 4096;

function frame(magicWords, entries) {
  const parts = [];
  for (const w of magicWords) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(w);
    parts.push(b);
  }
  for (const payload of entries) {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(payload.length);
    parts.push(len, Buffer.from(payload));
  }
  return Buffer.concat(parts);
}

async function grownImages(archive, extraPages) {
  const pagemapName = `checkpoint/pagemap-${GROWN_PID}.img`;
  const pagemap = decodeImage(await archive.read(pagemapName), pagemapName);
  const [head, ...entries] = pagemap.entries.map((e) => e.value);
  entries.push({ vaddr: GROWN_VADDR, compat_nr_pages: 0, flags: 4, nr_pages: BigInt(extraPages) });
  const newPagemap = frame(
    [IMG_COMMON, MAGICS.PAGEMAP],
    [
      encodeMessage(messages.pagemapHead, head),
      ...entries.map((e) => encodeMessage(messages.pagemapEntry, e)),
    ],
  );
  const mmName = `checkpoint/mm-${GROWN_PID}.img`;
  const [mm] = decodeImage(await archive.read(mmName), mmName).entries.map((e) => e.value);
  mm.vmas.push({
    start: GROWN_VADDR,
    end: GROWN_VADDR + BigInt(extraPages * PAGE),
    pgoff: 0n,
    shmid: 0n,
    prot: 3,
    flags: 0x22,
    status: 0x201,
    fd: -1n,
  });
  const newMm = frame([IMG_COMMON, MAGICS.MM], [encodeMessage(messages.mmEntry, mm)]);
  return { pagemapName, newPagemap, mmName, newMm, pagesName: `checkpoint/pages-${head.pages_id}.img` };
}

function fillStream(bytes, onChunk) {
  const block = randomBytes(1 << 20);
  let written = 0;
  let nextMarker = 0;
  return async function* () {
    while (written < bytes) {
      const size = Math.min(block.length, bytes - written);
      const chunk = Buffer.from(block.subarray(0, size));
      while (nextMarker >= written && nextMarker < written + size - MARKER.length) {
        chunk.write(MARKER, nextMarker - written, 'latin1');
        nextMarker += 64 << 20;
      }
      // One marker straddles a page boundary inside the first chunk, for boundary-crossing searches.
      if (written === 0) chunk.write(MARKER, 3 * PAGE - 10, 'latin1');
      onChunk?.(chunk);
      written += size;
      yield chunk;
    }
  };
}

/** Returns the path of a checkpoint archive whose pages member holds `sizeMiB` MiB more. Cached. */
export async function growArchive(sizeMiB, { source = SOURCE } = {}) {
  mkdirSync(WORK, { recursive: true });
  const target = join(WORK, `grown-${sizeMiB}MiB.tar`);
  if (existsSync(target)) return target;
  const extraPages = (sizeMiB << 20) / PAGE;
  const archive = await CheckpointArchive.open(source);
  try {
    const g = await grownImages(archive, extraPages);
    const pack = tarPack();
    const tmp = `${target}.tmp`;
    const out = createWriteStream(tmp, { mode: 0o600 });
    const done = new Promise((resolve, reject) => {
      out.on('finish', resolve);
      out.on('error', reject);
    });
    pack.pipe(out);
    for (const m of archive.members()) {
      if (m.type === 'dir') {
        pack.entry({ name: m.name + '/', type: 'directory', mode: m.mode });
        continue;
      }
      if (m.type !== 'file') continue;
      if (m.name === g.pagemapName || m.name === g.mmName) {
        pack.entry(
          { name: m.name, mode: m.mode, mtime: m.mtime },
          m.name === g.mmName ? g.newMm : g.newPagemap,
        );
        continue;
      }
      if (m.name === g.pagesName) {
        const original = await archive.read(m.name);
        const entry = pack.entry({
          name: m.name,
          size: original.length + extraPages * PAGE,
          mode: m.mode,
          mtime: m.mtime,
        });
        entry.write(original);
        for await (const chunk of fillStream(extraPages * PAGE)()) {
          if (!entry.write(chunk)) await new Promise((r) => entry.once('drain', r));
        }
        entry.end();
        await new Promise((r) => entry.on('finish', r));
        continue;
      }
      pack.entry({ name: m.name, mode: m.mode, mtime: m.mtime }, await archive.read(m.name));
    }
    pack.finalize();
    await done;
    const { rename } = await import('node:fs/promises');
    await rename(tmp, target);
  } finally {
    await archive.close();
  }
  return target;
}

export function sha256File(path) {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    import('node:fs').then(({ createReadStream }) =>
      createReadStream(path)
        .on('data', (d) => h.update(d))
        .on('end', () => resolve(h.digest('hex')))
        .on('error', reject),
    );
  });
}

export function fileSize(path) {
  return statSync(path).size;
}
