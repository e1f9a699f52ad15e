/**
 * `kcr mem dump`: a range, or every mapping of a process, written to files. Only dumped pages
 * are written; absent pages stay holes (a sparse file reads them as zeros), so a mostly empty
 * 8 MiB thread stack costs a few blocks. Files are 0600 (memory holds secrets) and appear under
 * their name only when complete (temp name + rename).
 */
import { mkdir, open, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { isDirectory, pathExists } from '../../util/fs-checks.js';
import type { MissingRange } from '../../criu/memory.js';
import { KcrError, fileError } from '../../errors.js';
import { commitTempFile, targetKind, freshTempNameFor, writeFileAtomic } from '../../util/atomic-file.js';
import type { MemoryContext, ProcessMemoryView } from './context.js';
import type { MemoryMapping } from './mappings.js';
import { presentExtents, type AddressRange, type PresentExtent } from './ranges.js';

const WRITE_CHUNK = 8 * 1024 * 1024;

export interface WrittenRange {
  path: string;
  address: bigint;
  length: number;
  /** Parts of the range not in the dump (zeros in the file). */
  missing: MissingRange[];
}

/** The gaps between extents: what a sparse file reads as zeros. */
function gaps(extents: readonly PresentExtent[], length: number): MissingRange[] {
  const out: MissingRange[] = [];
  let cursor = 0;
  for (const e of [...extents].sort((a, b) => a.offset - b.offset)) {
    if (e.offset > cursor) out.push({ offset: cursor, length: e.offset - cursor, reason: 'not-dumped' });
    cursor = Math.max(cursor, e.offset + e.length);
  }
  if (cursor < length) out.push({ offset: cursor, length: length - cursor, reason: 'not-dumped' });
  return out;
}

async function writeSparseAtomic(
  path: string,
  size: number,
  extents: readonly PresentExtent[],
  signal?: AbortSignal,
): Promise<void> {
  if ((await targetKind(path)) === 'stream') return writeSequential(path, size, extents, signal);
  const temp = await freshTempNameFor(path);
  let fh;
  try {
    fh = await open(temp, 'wx', 0o600);
  } catch (err) {
    throw fileError(path, err, 'cannot write');
  }
  try {
    for (const e of extents) {
      for (let done = 0; done < e.length; done += WRITE_CHUNK) {
        if (signal?.aborted) throw new KcrError('cancelled', `${path}: dump cancelled`);
        const n = Math.min(WRITE_CHUNK, e.length - done);
        const { data } = await e.reader.read(e.readerAddress + BigInt(done), n);
        await fh.write(data, 0, n, e.offset + done);
      }
    }
    await fh.truncate(size);
    await fh.close();
    fh = undefined;
    await commitTempFile(temp, path);
  } catch (err) {
    await fh?.close().catch(() => {});
    await rm(temp, { force: true });
    throw err;
  }
}

/** Into a device or FIFO (`-o /dev/null`, a pipe): in order, with zeros for what was not dumped. */
async function writeSequential(
  path: string,
  size: number,
  extents: readonly PresentExtent[],
  signal?: AbortSignal,
): Promise<void> {
  async function* bytes(): AsyncGenerator<Buffer> {
    let cursor = 0;
    for (const e of [...extents].sort((a, b) => a.offset - b.offset)) {
      for (; cursor < e.offset; cursor += WRITE_CHUNK)
        yield Buffer.alloc(Math.min(WRITE_CHUNK, e.offset - cursor));
      for (let done = 0; done < e.length; done += WRITE_CHUNK) {
        const n = Math.min(WRITE_CHUNK, e.length - done);
        yield (await e.reader.read(e.readerAddress + BigInt(done), n)).data.subarray(0, n);
      }
      cursor = e.offset + e.length;
    }
    for (; cursor < size; cursor += WRITE_CHUNK) yield Buffer.alloc(Math.min(WRITE_CHUNK, size - cursor));
  }
  await writeFileAtomic(path, Readable.from(bytes()), { signal });
}

export async function writeRange(
  context: MemoryContext,
  view: ProcessMemoryView,
  range: AddressRange,
  path: string,
  signal?: AbortSignal,
): Promise<WrittenRange> {
  const extents = presentExtents(context, view, range);
  await writeSparseAtomic(path, range.length, extents, signal);
  return { path, address: range.address, length: range.length, missing: gaps(extents, range.length) };
}

export interface DumpedMapping extends MemoryMapping {
  /** File name in the dump directory; absent when the dump holds none of its pages. */
  file?: string;
  /** Dumped byte ranges, as [offset in the mapping, length]. */
  present: Array<[number, number]>;
}

export interface ProcessDump {
  pid: number;
  comm: string;
  dir: string;
  /** The `maps` index (text) and its JSON twin. */
  mapsFile: string;
  mapsJson: string;
  mappings: DumpedMapping[];
  bytesWritten: number;
}

const h = (v: bigint) => v.toString(16);

export function mapsIndexText(
  dump: Omit<ProcessDump, 'mapsFile' | 'mapsJson' | 'dir'>,
  archive: string,
): string {
  const lines = [
    `# kcr mem dump of pid ${dump.pid} (${dump.comm}) from ${archive}`,
    '# start-end perms offset dumped/total-pages file name',
  ];
  for (const m of dump.mappings) {
    lines.push(
      `${h(m.start)}-${h(m.end)} ${m.perms} ${m.offset.toString(16).padStart(8, '0')} ${m.dumpedPages}/${m.totalPages} ${m.file ?? '-'} ${m.name}`.trimEnd(),
    );
  }
  return lines.join('\n') + '\n';
}

/** Writes one file per mapping with dumped pages into `dir`, plus `maps` and `maps.json`. */
export async function dumpProcess(
  context: MemoryContext,
  view: ProcessMemoryView,
  dir: string,
  archive: string,
  signal?: AbortSignal,
): Promise<ProcessDump> {
  // An existing file or device (`--output-file /dev/null`) cannot hold one file per mapping.
  if (!(await isDirectory(dir)) && (await pathExists(dir))) {
    throw new KcrError(
      'invalid-input',
      `${dir}: is not a directory; a whole process is dumped as one file per mapping`,
      {
        hint: 'name a directory (it is created), or give --address and --length to write one range to a file or device',
      },
    );
  }
  await mkdir(dir, { recursive: true, mode: 0o700 }).catch((err: unknown) => {
    throw fileError(dir, err, 'cannot create');
  });
  const mappings: DumpedMapping[] = [];
  let bytesWritten = 0;
  for (const m of view.mappings) {
    const range = { address: m.start, length: Number(m.end - m.start) };
    const extents = presentExtents(context, view, range);
    const dumped: DumpedMapping = { ...m, present: extents.map((e) => [e.offset, e.length]) };
    if (extents.length > 0) {
      dumped.file = `${h(m.start)}-${h(m.end)}.bin`;
      await writeSparseAtomic(join(dir, dumped.file), range.length, extents, signal);
      bytesWritten += extents.reduce((n, e) => n + e.length, 0);
    }
    mappings.push(dumped);
  }
  const dump = { pid: view.pid, comm: view.comm, mappings, bytesWritten };
  const mapsFile = join(dir, 'maps');
  const mapsJson = join(dir, 'maps.json');
  await writeTextAtomic(mapsFile, mapsIndexText(dump, archive));
  await writeTextAtomic(mapsJson, mapsIndexJson(dump, archive));
  return { ...dump, dir, mapsFile, mapsJson };
}

function mapsIndexJson(dump: Omit<ProcessDump, 'mapsFile' | 'mapsJson' | 'dir'>, archive: string): string {
  const mappings = dump.mappings.map((m) => ({
    start: '0x' + h(m.start),
    end: '0x' + h(m.end),
    perms: m.perms,
    offset: '0x' + h(m.offset),
    name: m.name,
    kind: m.kind,
    dumpedPages: m.dumpedPages,
    totalPages: m.totalPages,
    file: m.file ?? null,
    present: m.present,
  }));
  return JSON.stringify({ archive, pid: dump.pid, comm: dump.comm, mappings }, null, 2) + '\n';
}

async function writeTextAtomic(path: string, text: string): Promise<void> {
  await writeFileAtomic(path, text, { mode: 0o600 });
}
