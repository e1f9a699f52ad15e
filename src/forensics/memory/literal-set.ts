/**
 * Every occurrence of a set of literals in a window, found in one pass: the prefilter of
 * `kcr secrets --memory`, whose thirteen rules have some fifty anchors (`TOKEN`, `token`, `AKIA`,
 * `://`, ...). One `indexOf` pass per anchor read every byte fifty times (about 0.1 GB/s); this
 * reads it once. Written by hand because no npm package does it: the pure-JS Aho-Corasick ones
 * walk a byte at a time (well under 1 GB/s), and RE2/regex alternations need a string copy first.
 *
 * The pass is "Teddy" (Hyperscan's and ripgrep's multi-literal prefilter) in WebAssembly SIMD
 * (literal-set.wat): 16 bytes at a time, nibble tables on each literal's first three bytes pick
 * candidate positions, and each candidate is then compared with the literals that start with its
 * byte. Windows that lie in this set's own WebAssembly memory (the scan buffers it hands out,
 * see `scanBuffers`) are scanned in place; others are copied in first. Without WebAssembly
 * (`node --jitless`) the same answers come from one `indexOf` pass per literal.
 */
import { LITERAL_SET_WASM } from './literal-set-wasm.js';

/** Finds one literal in a window (a LiteralMatcher, or one literal of a LiteralSet). */
export interface LiteralFinder {
  readonly needle: Buffer;
  /** First occurrence starting in [from, window.length - needle.length], or -1. */
  find(window: Buffer, from: number): number;
}

/** Buffers a scan reads into, handed out by a matcher that can scan them without a copy. */
export interface ScanArena {
  /** `count` page-aligned buffers of `size` bytes (valid until the next call). */
  scanBuffers(count: number, size: number): Buffer[];
}

interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmExports {
  scan(p: number, end: number): number;
  mask: { value: number };
}
/** The little of the WebAssembly API used here (the project's TypeScript lib has no DOM types). */
interface WasmApi {
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

const WASM_PAGE = 65536;
/** The six 16-byte nibble tables live at 0..95; the buffers start at the next wasm page. */
const TABLES_BYTES = 96;
/** The SIMD loop reads up to 18 bytes past a window's end: every region keeps this much free after it. */
const SLACK = 64;
const BUCKETS = 8;
/** Bytes of each literal the nibble tables look at. */
const FINGERPRINT = 3;

let compiled: object | null | undefined;

function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

/** The compiled module, or null where WebAssembly or its SIMD is missing. */
function wasmModule(): object | null {
  if (compiled === undefined) {
    try {
      const api = wasmApi();
      compiled = api ? new api.Module(Buffer.from(LITERAL_SET_WASM, 'base64')) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

const roundUp = (n: number, to: number) => Math.ceil(n / to) * to;

class SimdScanner {
  private readonly memory: WasmMemory;
  private readonly exports: WasmExports;
  /** Where the staging area starts: after the scan buffers handed out. */
  private stagingAt = WASM_PAGE;

  constructor(module: object, api: WasmApi) {
    this.memory = new api.Memory({ initial: 2 });
    this.exports = new api.Instance(module, { env: { memory: this.memory } }).exports as WasmExports;
  }

  /** Writes the nibble tables: for fingerprint byte k, low and high nibble -> buckets allowed. */
  setTables(literals: readonly Buffer[], bucketOf: readonly number[]): void {
    const tables = new Uint8Array(this.memory.buffer, 0, TABLES_BYTES);
    tables.fill(0);
    literals.forEach((lit, id) => {
      const bit = 1 << bucketOf[id]!;
      for (let k = 0; k < FINGERPRINT; k++) {
        if (k >= lit.length) {
          // A literal shorter than the fingerprint lets any byte through at the positions it lacks.
          for (let n = 0; n < 32; n++) tables[32 * k + n] = tables[32 * k + n]! | bit;
          continue;
        }
        const low = 32 * k + (lit[k]! & 15);
        const high = 32 * k + 16 + (lit[k]! >> 4);
        tables[low] = tables[low]! | bit;
        tables[high] = tables[high]! | bit;
      }
    });
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / WASM_PAGE));
  }

  scanBuffers(count: number, size: number): Buffer[] {
    const stride = roundUp(size + SLACK, WASM_PAGE);
    this.stagingAt = WASM_PAGE + count * stride;
    this.ensure(this.stagingAt);
    const buffer = this.memory.buffer;
    return Array.from({ length: count }, (_, i) => Buffer.from(buffer, WASM_PAGE + i * stride, size));
  }

  /**
   * Calls `candidate(memory, at, base)` for each position whose first bytes fit some literal, in
   * order: `at` indexes `memory` (this instance's), where the window starts at `base`.
   */
  candidates(window: Buffer, candidate: (memory: Uint8Array, at: number, base: number) => void): void {
    let base = window.byteOffset;
    if (window.buffer !== this.memory.buffer) {
      base = this.stagingAt;
      this.ensure(base + window.length + SLACK);
      new Uint8Array(this.memory.buffer, base, window.length).set(window);
    }
    const memory = new Uint8Array(this.memory.buffer);
    const end = base + window.length;
    const { scan, mask } = this.exports;
    for (let p = scan(base, end); p !== -1; p = scan(p + 16, end)) {
      for (let bits = mask.value; bits !== 0; bits &= bits - 1) {
        const at = p + 31 - Math.clz32(bits & -bits);
        if (at >= end) break;
        candidate(memory, at, base);
      }
    }
  }
}

const popcount = (n: number) => {
  let c = 0;
  for (; n; n &= n - 1) c++;
  return c;
};

/**
 * Buckets for the literals. A bucket lets through every byte whose low nibble and high nibble each
 * occur at that position in some literal of the bucket, so mixing `-----BEGIN ` (0x2d) with `AKIA`
 * (0x41) lets `M` (0x4d) through: false candidates. Each literal goes, greedily, where it widens
 * the nibble sets least (counted as allowed nibble pairs per position).
 */
function assignBuckets(literals: readonly Buffer[]): number[] {
  const low = Array.from({ length: BUCKETS }, () => new Array<number>(FINGERPRINT).fill(0));
  const high = Array.from({ length: BUCKETS }, () => new Array<number>(FINGERPRINT).fill(0));
  const size = new Array<number>(BUCKETS).fill(0);
  const nibbles = (lit: Buffer, k: number): [number, number] =>
    k < lit.length ? [1 << (lit[k]! & 15), 1 << (lit[k]! >> 4)] : [0xffff, 0xffff];
  const cost = (b: number, lit?: Buffer) => {
    let total = 0;
    for (let k = 0; k < FINGERPRINT; k++) {
      const [l, h] = lit ? nibbles(lit, k) : [0, 0];
      total += popcount(low[b]![k]! | l) * popcount(high[b]![k]! | h);
    }
    return total;
  };
  const order = literals.map((_, id) => id).sort((a, b) => literals[a]!.compare(literals[b]!));
  const bucketOf: number[] = [];
  for (const id of order) {
    const lit = literals[id]!;
    let best = 0;
    let bestGrowth = Infinity;
    for (let b = 0; b < BUCKETS; b++) {
      const growth = cost(b, lit) - cost(b);
      // On a tie, the fuller bucket: empty ones stay free for literals unlike any seen so far.
      if (growth < bestGrowth || (growth === bestGrowth && size[b]! > size[best]!)) {
        best = b;
        bestGrowth = growth;
      }
    }
    for (let k = 0; k < FINGERPRINT; k++) {
      const [l, h] = nibbles(lit, k);
      low[best]![k] = low[best]![k]! | l;
      high[best]![k] = high[best]![k]! | h;
    }
    size[best] = size[best]! + 1;
    bucketOf[id] = best;
  }
  return bucketOf;
}

export class LiteralSet implements ScanArena {
  private readonly literals: Buffer[] = [];
  private readonly ids = new Map<string, number>();
  /** Literal ids by first byte, for checking a candidate. */
  private byFirst: number[][] = [];
  private readonly simd: SimdScanner | undefined;
  private tablesFor = -1;
  /** The window last scanned and, per literal, its occurrences there (ascending offsets). */
  private window: Buffer | undefined;
  private hits: number[][] = [];

  /** `simd: false` takes the indexOf path even where WebAssembly SIMD works (for comparison). */
  constructor(literals: readonly string[] = [], options: { simd?: boolean } = {}) {
    const module = options.simd === false ? null : wasmModule();
    const api = wasmApi();
    if (module && api) this.simd = new SimdScanner(module, api);
    for (const literal of literals) this.add(literal);
  }

  /** Whether the SIMD pass is in use. */
  get usesSimd(): boolean {
    return this.simd !== undefined;
  }

  /** Adds a literal (latin1: one byte per char) if new; returns its id. */
  add(literal: string): number {
    if (literal.length === 0) throw new Error('empty literal');
    let id = this.ids.get(literal);
    if (id === undefined) {
      id = this.literals.push(Buffer.from(literal, 'latin1')) - 1;
      this.ids.set(literal, id);
      this.window = undefined;
    }
    return id;
  }

  /** A finder for one literal that shares this set's single pass over each window. */
  finder(literal: string): LiteralFinder {
    const id = this.add(literal);
    return {
      needle: this.literals[id]!,
      find: (window, from) => {
        const list = this.occurrences(window)[id]!;
        let lo = 0;
        let hi = list.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (list[mid]! < from) lo = mid + 1;
          else hi = mid;
        }
        return lo < list.length ? list[lo]! : -1;
      },
    };
  }

  scanBuffers(count: number, size: number): Buffer[] {
    this.window = undefined;
    if (this.simd) return this.simd.scanBuffers(count, size);
    return Array.from({ length: count }, () => Buffer.allocUnsafe(size));
  }

  /** Per literal id, every offset in `window` where it occurs whole (overlapping ones too). */
  occurrences(window: Buffer): number[][] {
    if (window === this.window) return this.hits;
    const hits: number[][] = this.literals.map(() => []);
    if (this.simd) this.simdPass(this.simd, window, hits);
    else this.indexOfPass(window, hits);
    this.window = window;
    this.hits = hits;
    return hits;
  }

  private prepare(simd: SimdScanner): void {
    if (this.tablesFor === this.literals.length) return;
    simd.setTables(this.literals, assignBuckets(this.literals));
    this.byFirst = Array.from({ length: 256 }, () => []);
    this.literals.forEach((lit, id) => this.byFirst[lit[0]!]!.push(id));
    this.tablesFor = this.literals.length;
  }

  private simdPass(simd: SimdScanner, window: Buffer, hits: number[][]): void {
    this.prepare(simd);
    const literals = this.literals;
    const byFirst = this.byFirst;
    const end = window.length;
    simd.candidates(window, (memory, at, base) => {
      const offset = at - base;
      for (const id of byFirst[memory[at]!]!) {
        const lit = literals[id]!;
        if (offset + lit.length > end) continue;
        let k = 1;
        while (k < lit.length && memory[at + k] === lit[k]) k++;
        if (k === lit.length) hits[id]!.push(offset);
      }
    });
  }

  private indexOfPass(window: Buffer, hits: number[][]): void {
    this.literals.forEach((lit, id) => {
      for (let p = window.indexOf(lit); p !== -1; p = window.indexOf(lit, p + 1)) hits[id]!.push(p);
    });
  }
}
