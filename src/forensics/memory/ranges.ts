/**
 * Reading a process's memory by address across its mappings. Private memory comes from the
 * process's pagemap; shared mappings (memfd, shared anonymous) from their shmem pagemap, at
 * offset `address - vma.start + vma.pgoff`. Bytes not in the dump read as zeros and are listed.
 */
import { KcrError } from '../../errors.js';
import type { MissingRange, MemoryRead, ProcessMemory } from '../../criu/memory.js';
import type { MemoryContext, ProcessMemoryView } from './context.js';
import { mappingAt, type MemoryMapping } from './mappings.js';

export interface AddressRange {
  address: bigint;
  length: number;
}

/** A piece of an address range and where its bytes come from. */
export interface RangePiece {
  address: bigint;
  length: number;
  mapping?: MemoryMapping;
  /** The reader holding the bytes and the address in its space; none for unmapped gaps. */
  reader?: ProcessMemory;
  readerAddress: bigint;
}

const hex = (v: bigint) => '0x' + v.toString(16);

/** Checks that a range lies in mapped memory; without `length`, runs to the end of the mapping. */
export function resolveRange(
  path: string,
  view: ProcessMemoryView,
  address: bigint,
  length: number | undefined,
): AddressRange {
  const first = mappingAt(view.mappings, address);
  const hint = `run \`kcr mem maps ${path} --pid ${view.pid}\` to list its mappings`;
  if (!first) {
    throw new KcrError(
      'not-found',
      `${path}: address ${hex(address)} is outside every mapping of pid ${view.pid}`,
      {
        hint,
      },
    );
  }
  const len = length ?? Number(first.end - address);
  if (len <= 0) throw new KcrError('usage', `--length must be at least 1, got ${len}`);
  const last = address + BigInt(len) - 1n;
  if (!mappingAt(view.mappings, last)) {
    throw new KcrError(
      'not-found',
      `${path}: range ${hex(address)}-${hex(last + 1n)} of pid ${view.pid} runs past the mappings (ends outside any at ${hex(last)})`,
      { hint },
    );
  }
  return { address, length: len };
}

function readerFor(
  context: MemoryContext,
  view: ProcessMemoryView,
  m: MemoryMapping,
): { reader?: ProcessMemory; base: bigint } {
  if (m.shared && m.shmid !== undefined) return { reader: context.shmem.get(m.shmid), base: m.offset };
  return { reader: view.memory, base: m.start };
}

/** Splits [address, address + length) at mapping boundaries. */
export function rangePieces(
  context: MemoryContext,
  view: ProcessMemoryView,
  range: AddressRange,
): RangePiece[] {
  const end = range.address + BigInt(range.length);
  const pieces: RangePiece[] = [];
  let cursor = range.address;
  for (const m of view.mappings) {
    if (m.end <= cursor) continue;
    if (m.start >= end) break;
    if (m.start > cursor) {
      pieces.push({ address: cursor, length: Number(m.start - cursor), readerAddress: 0n });
      cursor = m.start;
    }
    const to = m.end < end ? m.end : end;
    const { reader, base } = readerFor(context, view, m);
    const piece: RangePiece = {
      address: cursor,
      length: Number(to - cursor),
      mapping: m,
      readerAddress: base + (cursor - m.start),
    };
    if (reader) piece.reader = reader;
    pieces.push(piece);
    cursor = to;
  }
  if (cursor < end) pieces.push({ address: cursor, length: Number(end - cursor), readerAddress: 0n });
  return pieces;
}

/** Reads a range (keep it small: it is one buffer). Absent bytes are zero and listed in `missing`. */
export async function readRange(
  context: MemoryContext,
  view: ProcessMemoryView,
  range: AddressRange,
): Promise<MemoryRead> {
  const data = Buffer.alloc(range.length);
  const missing: MissingRange[] = [];
  const add = (offset: number, length: number, reason: MissingRange['reason']) => {
    const last = missing[missing.length - 1];
    if (last && last.reason === reason && last.offset + last.length === offset) last.length += length;
    else missing.push({ offset, length, reason });
  };
  for (const piece of rangePieces(context, view, range)) {
    const at = Number(piece.address - range.address);
    if (!piece.reader) {
      add(at, piece.length, 'not-dumped');
      continue;
    }
    const got = await piece.reader.read(piece.readerAddress, piece.length);
    got.data.copy(data, at);
    for (const m of got.missing) add(at + m.offset, m.length, m.reason);
  }
  return { data, missing };
}

/** The dumped parts of a range: where each lies in the range and in its pages member. */
export interface PresentExtent {
  /** Offset in the range. */
  offset: number;
  length: number;
  reader: ProcessMemory;
  readerAddress: bigint;
}

export function presentExtents(
  context: MemoryContext,
  view: ProcessMemoryView,
  range: AddressRange,
): PresentExtent[] {
  const out: PresentExtent[] = [];
  for (const piece of rangePieces(context, view, range)) {
    const reader = piece.reader;
    if (!reader) continue;
    const from = piece.readerAddress;
    const to = from + BigInt(piece.length);
    for (const run of reader.runs) {
      if (run.fileOffset === null) continue;
      const runEnd = reader.runEnd(run);
      if (runEnd <= from || run.vaddr >= to) continue;
      const a = run.vaddr > from ? run.vaddr : from;
      const b = runEnd < to ? runEnd : to;
      out.push({
        offset: Number(piece.address - range.address + (a - from)),
        length: Number(b - a),
        reader,
        readerAddress: a,
      });
    }
  }
  return out;
}
