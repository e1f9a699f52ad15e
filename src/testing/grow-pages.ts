/**
 * Grows one process's memory in a real fixture to any size, for benchmarks and scale tests:
 * a new anonymous VMA is added to mm-<pid>.img, filled with runs of the process's own pages
 * (so the bytes look like real memory), with the pagemap and the pages member to match. Runs
 * alternate between adjacent and separated by a hole, and strings can be planted at known
 * addresses. The archive is written streaming; memory use does not grow with the size.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack } from 'tar-stream';
import { CheckpointArchive } from '../archive/archive.js';
import { decodeMm, decodePagemap, encodeMm, encodePagemap, entryPages } from './criu-images.js';

export interface GrowOptions {
  source: string;
  target: string;
  /** The process to grow; the first in pstree order when absent. */
  pid: number;
  /** Bytes of memory to add (rounded down to whole pages). */
  bytes: number;
  /** Strings planted in the added memory, each `count` times, spread evenly, never across runs. */
  plant?: Array<{ text: string; count: number }>;
  pageSize?: number;
}

export interface GrownArchive {
  path: string;
  pid: number;
  /** The pages member that grew, e.g. `checkpoint/pages-3.img`, and its new size. */
  member: string;
  pagesBytes: number;
  /** The added VMA. */
  region: { start: bigint; end: bigint };
  planted: Array<{ text: string; addresses: bigint[] }>;
  runs: number;
}

/** Run lengths (pages) cycled through, and whether a hole follows: adjacency both ways. */
const RUN_PAGES = [1, 3, 16, 64, 256, 7, 128];

interface AddedRun {
  vaddr: bigint;
  pages: number;
}

function layoutRuns(base: bigint, totalPages: number, pageSize: number): { runs: AddedRun[]; end: bigint } {
  const runs: AddedRun[] = [];
  let addr = base;
  let left = totalPages;
  for (let i = 0; left > 0; i++) {
    const pages = Math.min(left, RUN_PAGES[i % RUN_PAGES.length]!);
    runs.push({ vaddr: addr, pages });
    left -= pages;
    addr += BigInt((pages + (i % 2)) * pageSize); // every other run is followed by a one-page hole
  }
  return { runs, end: addr + BigInt(pageSize) };
}

/** Where planted strings go: page index (in the added memory) and offset in that page. */
function plantSpots(totalPages: number, plant: GrowOptions['plant'], pageSize: number) {
  const spots = new Map<number, Array<{ text: Buffer; index: number; offset: number }>>();
  (plant ?? []).forEach(({ text, count }, index) => {
    const bytes = Buffer.from(text);
    for (let i = 0; i < count; i++) {
      const page = Math.floor(((i + 0.5) * totalPages) / count);
      const offset = (97 + index * (bytes.length + 13)) % Math.max(1, pageSize - bytes.length);
      spots.set(page, [...(spots.get(page) ?? []), { text: bytes, index, offset }]);
    }
  });
  return spots;
}

export async function growPages(options: GrowOptions): Promise<GrownArchive> {
  const pageSize = options.pageSize ?? 4096;
  const archive = await CheckpointArchive.open(options.source);
  try {
    const dir = archive.has('checkpoint/pstree.img') ? 'checkpoint/' : '';
    const pagemapName = `${dir}pagemap-${options.pid}.img`;
    const mmName = `${dir}mm-${options.pid}.img`;
    const pagemap = decodePagemap(await archive.read(pagemapName), pagemapName);
    const mm = decodeMm(await archive.read(mmName), mmName);
    const member = `${dir}pages-${pagemap.pagesId}.img`;
    const own = await archive.read(member);

    // The new VMA goes into the widest gap between existing VMAs (user space only).
    const vmas = [...(mm.vmas ?? [])].sort((a, b) => (a.start! < b.start! ? -1 : 1));
    let base = 0n;
    let widest = 0n;
    for (let i = 1; i < vmas.length; i++) {
      const gap = vmas[i]!.start! - vmas[i - 1]!.end!;
      if (gap > widest && vmas[i]!.start! < 0x800000000000n) {
        widest = gap;
        base = vmas[i - 1]!.end! + 0x10000000n;
      }
    }
    const totalPages = Math.floor(options.bytes / pageSize);
    const { runs, end } = layoutRuns(base, totalPages, pageSize);
    if (end - base > widest - 0x20000000n) throw new Error('no gap wide enough for the grown memory');
    mm.vmas = [
      ...(mm.vmas ?? []),
      { start: base, end, pgoff: 0n, shmid: 0n, prot: 3, flags: 0x22, status: 0x201, fd: -1n },
    ].sort((a, b) => (a.start! < b.start! ? -1 : 1));

    // Existing runs keep their bytes; the new ones slot in by address (the pagemap is sorted).
    const before = pagemap.entries.filter((e) => e.vaddr! < base);
    const after = pagemap.entries.filter((e) => e.vaddr! >= base);
    const bytesOf = (list: typeof before) =>
      list.reduce((n, e) => n + ((e.flags ?? 4) & 4 ? entryPages(e) * pageSize : 0), 0);
    const split = bytesOf(before);
    const newPagemap = encodePagemap(pagemap.pagesId, [
      ...before.map((e) => ({ vaddr: e.vaddr!, pages: entryPages(e), flags: e.flags ?? 4 })),
      ...runs.map((r) => ({ vaddr: r.vaddr, pages: r.pages })),
      ...after.map((e) => ({ vaddr: e.vaddr!, pages: entryPages(e), flags: e.flags ?? 4 })),
    ]);

    const spots = plantSpots(totalPages, options.plant, pageSize);
    const planted = (options.plant ?? []).map((p) => ({ text: p.text, addresses: [] as bigint[] }));
    const pageAddress = pageAddresses(runs, pageSize);
    for (const [page, list] of spots) {
      for (const s of list) planted[s.index]!.addresses.push(pageAddress(page) + BigInt(s.offset));
    }
    for (const p of planted) p.addresses.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

    const pagesBytes = own.length + totalPages * pageSize;
    await writeArchive(archive, options.target, {
      replace: new Map([
        [pagemapName, newPagemap],
        [mmName, encodeMm(mm)],
      ]),
      grow: {
        name: member,
        size: pagesBytes,
        chunks: grownPages(own, split, totalPages, pageSize, spots),
      },
    });
    return {
      path: options.target,
      pid: options.pid,
      member,
      pagesBytes,
      region: { start: base, end },
      planted,
      runs: runs.length,
    };
  } finally {
    await archive.close();
  }
}

/** Virtual address of the n-th added page. */
function pageAddresses(runs: AddedRun[], pageSize: number): (page: number) => bigint {
  const firsts: number[] = [];
  let n = 0;
  for (const r of runs) {
    firsts.push(n);
    n += r.pages;
  }
  return (page) => {
    let lo = 0;
    let hi = runs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (firsts[mid]! <= page) lo = mid;
      else hi = mid - 1;
    }
    return runs[lo]!.vaddr + BigInt((page - firsts[lo]!) * pageSize);
  };
}

/** The new pages member: own bytes up to `split`, the added pages (own pages cycled), the rest. */
function* grownPages(
  own: Buffer,
  split: number,
  totalPages: number,
  pageSize: number,
  spots: ReturnType<typeof plantSpots>,
): Generator<Buffer> {
  yield own.subarray(0, split);
  const ownPages = Math.max(1, Math.floor(own.length / pageSize));
  const perChunk = 1024;
  for (let first = 0; first < totalPages; first += perChunk) {
    const count = Math.min(perChunk, totalPages - first);
    const chunk = Buffer.alloc(count * pageSize);
    for (let i = 0; i < count; i++) {
      const page = first + i;
      const src = (page % ownPages) * pageSize;
      own.copy(chunk, i * pageSize, src, Math.min(own.length, src + pageSize));
      for (const s of spots.get(page) ?? []) s.text.copy(chunk, i * pageSize + s.offset);
    }
    yield chunk;
  }
  yield own.subarray(split);
}

interface Rewrite {
  replace: Map<string, Buffer>;
  grow: { name: string; size: number; chunks: Iterable<Buffer> };
}

async function writeArchive(archive: CheckpointArchive, target: string, edits: Rewrite): Promise<void> {
  const pack = tarPack();
  const out = pipeline(pack, createWriteStream(target, { mode: 0o600 }));
  for (const m of archive.members()) {
    if (m.type === 'dir') {
      pack.entry({ name: m.name, type: 'directory', mode: m.mode, mtime: m.mtime });
      continue;
    }
    if (m.type !== 'file') continue;
    if (m.name === edits.grow.name) {
      let done!: (err?: Error | null) => void;
      const written = new Promise<void>(
        (resolve, reject) => (done = (err) => (err ? reject(err) : resolve())),
      );
      const entry = pack.entry({ name: m.name, size: edits.grow.size, mode: m.mode, mtime: m.mtime }, (err) =>
        done(err),
      );
      for (const chunk of edits.grow.chunks) if (!entry.write(chunk)) await once(entry, 'drain');
      await new Promise<void>((resolve) => entry.end(resolve));
      await written;
      continue;
    }
    const data = edits.replace.get(m.name) ?? (await archive.read(m.name));
    pack.entry({ name: m.name, size: data.length, mode: m.mode, mtime: m.mtime }, data);
  }
  pack.finalize();
  await out;
}
