/**
 * Byte matchers for the memory scan. A matcher looks at one window of bytes at a time; the scan
 * (scan.ts) hands it windows that overlap by `overlap` bytes, so a match that crosses a chunk
 * boundary is seen whole in the next window.
 *
 * Literals: Buffer#indexOf of a short probe, the needle's bytes from its rarest one on (at most
 * six), then a compare of the whole needle. For a probe that short Node searches by memchr (SIMD
 * in libc) on its first byte and compares the rest in C++, so JavaScript sees only probe matches;
 * memchr of the rare byte alone returned to JavaScript for each of its occurrences (4 million a GiB
 * in random bytes, 30 ms). Both beat Buffer#indexOf(needle), whose Boyer-Moore-Horspool skips
 * poorly on memory images, full of zeros and of the needle's common letters, by 3-5x.
 *
 * Regexes run on a latin1 view (one char per byte), so `\x00`-`\xff` match raw bytes. A regex
 * match is reported only when it starts at least `maxLength` bytes before the window end (or the
 * window ends where the memory run ends); later starts are deferred to the next window, which
 * begins `maxLength` bytes earlier. Matches longer than `maxLength` can therefore be cut short at
 * chunk boundaries: that is the documented bound (default 4 KiB, one page).
 *
 * Many regexes at once (the secret rules) share one LiteralSet: one pass per window finds every
 * rule's anchors, instead of one indexOf pass per anchor.
 */
import type { LiteralFinder, LiteralSet, ScanArena } from './literal-set.js';

export interface Matcher {
  /** Bytes the scan must carry from one window into the next for this matcher. */
  readonly overlap: number;
  /**
   * The matcher turns whole windows into strings (a regex without a literal prefix): the scan
   * then reads smaller chunks, so that garbage strings do not pile up faster than GC frees them.
   */
  readonly textWindows: boolean;
  /**
   * Reports matches in `window` that start at or after `from`, in order and non-overlapping.
   * `final`: the window ends where the contiguous memory ends, nothing follows.
   * `emit(start, end)` returns false to stop the scan; then scan returns false too.
   */
  scan(window: Buffer, from: number, final: boolean, emit: (start: number, end: number) => boolean): boolean;
  /** Buffers this matcher scans without a copy (a shared LiteralSet's): the scan reads into them. */
  readonly arena?: ScanArena;
}

/** Frequency of each byte value in a sample: the rarest needle byte makes the best memchr anchor. */
function byteHistogram(sample: Buffer): Uint32Array {
  const counts = new Uint32Array(256);
  for (let i = 0; i < sample.length; i++) counts[sample[i]!]!++;
  return counts;
}

/**
 * The histogram's sample. It is counted once per search, before V8 has compiled the loop: 32 KiB
 * takes about a millisecond there, where 256 KiB took 14 (a third of a small search's own time).
 */
const SAMPLE_BYTES = 32 * 1024;

/**
 * Node's Buffer#indexOf searches a needle shorter than 7 bytes linearly (memchr on its first byte,
 * then a compare); longer ones go to Boyer-Moore-Horspool, which is slower here.
 */
const PROBE_BYTES = 6;

export class LiteralMatcher implements Matcher, LiteralFinder {
  readonly overlap: number;
  readonly textWindows = false;
  /** Index in the needle of the byte memchr looks for; chosen from the first window's bytes. */
  private anchor = -1;
  /** needle[anchor, anchor + PROBE_BYTES): what indexOf looks for. */
  private probe: Buffer = Buffer.alloc(0);

  constructor(readonly needle: Buffer) {
    if (needle.length === 0) throw new Error('empty needle');
    this.overlap = needle.length - 1;
  }

  private chooseAnchors(window: Buffer): void {
    const counts = byteHistogram(window.subarray(0, SAMPLE_BYTES));
    const rank = (i: number) => counts[this.needle[i]!]!;
    let best = 0;
    for (let i = 1; i < this.needle.length; i++) if (rank(i) < rank(best)) best = i;
    this.anchor = best;
    this.probe = this.needle.subarray(best, best + PROBE_BYTES);
  }

  /** First match starting in [from, window.length), or -1. */
  find(window: Buffer, from: number): number {
    if (this.anchor < 0) this.chooseAnchors(window);
    const needle = this.needle;
    const len = needle.length;
    const k = this.anchor;
    const probe = this.probe;
    const last = window.length - len;
    let p = window.indexOf(probe, from + k);
    while (p !== -1) {
      const start = p - k;
      if (start > last) return -1;
      if (window.compare(needle, 0, len, start, start + len) === 0) return start;
      p = window.indexOf(probe, p + 1);
    }
    return -1;
  }

  scan(
    window: Buffer,
    from: number,
    _final: boolean,
    emit: (start: number, end: number) => boolean,
  ): boolean {
    const len = this.needle.length;
    for (let start = this.find(window, from); start !== -1; start = this.find(window, start + len)) {
      if (!emit(start, start + len)) return false;
    }
    return true;
  }
}

export const DEFAULT_MAX_MATCH = 4096;

export class RegexMatcher implements Matcher {
  readonly overlap: number;
  readonly textWindows: boolean;
  private readonly global: RegExp;
  private readonly sticky: RegExp;
  private readonly prefix: LiteralFinder | undefined;
  readonly arena?: ScanArena;

  /** `literals`: find the literal prefix through this set's shared pass (many matchers, one pass). */
  constructor(
    regex: RegExp,
    readonly maxLength = DEFAULT_MAX_MATCH,
    literals?: LiteralSet,
  ) {
    const flags = regex.flags.replace(/[gy]/g, '');
    this.global = new RegExp(regex.source, flags + 'g');
    this.sticky = new RegExp(regex.source, flags + 'y');
    this.overlap = maxLength;
    const prefix = flags.includes('i') ? '' : literalPrefix(regex.source);
    // Every match starts with the prefix: find candidates with memchr, run the regex only there.
    if (prefix.length >= 2) {
      this.prefix = literals ? literals.finder(prefix) : new LiteralMatcher(Buffer.from(prefix, 'latin1'));
      if (literals) this.arena = literals;
    }
    this.textWindows = this.prefix === undefined;
  }

  scan(window: Buffer, from: number, final: boolean, emit: (start: number, end: number) => boolean): boolean {
    const limit = final ? window.length : window.length - this.maxLength;
    if (this.prefix) return this.scanCandidates(window, from, limit, emit);
    if (from >= limit) return true;
    const text = window.toString('latin1', from, window.length);
    const re = this.global;
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const start = from + m.index;
      if (start >= limit) break;
      if (m[0].length === 0) {
        re.lastIndex++; // an empty match is no hit; step past it
        continue;
      }
      if (!emit(start, start + m[0].length)) return false;
    }
    return true;
  }

  private scanCandidates(
    window: Buffer,
    from: number,
    limit: number,
    emit: (start: number, end: number) => boolean,
  ): boolean {
    const prefix = this.prefix!;
    let at = from;
    for (
      let start = prefix.find(window, at);
      start !== -1 && start < limit;
      start = prefix.find(window, at)
    ) {
      const text = window.toString('latin1', start, Math.min(window.length, start + this.maxLength));
      this.sticky.lastIndex = 0;
      const m = this.sticky.exec(text);
      if (m && m[0].length > 0) {
        if (!emit(start, start + m[0].length)) return false;
        at = start + m[0].length;
      } else {
        at = start + 1;
      }
    }
    return true;
  }
}

/**
 * A regex whose matches all contain one of a few literals (anchors) but need not start with one
 * (`API_TOKEN=…`, `postgres://u:p@h`): memchr finds the anchors, the regex runs only from
 * `maxBack` bytes before each. A match is taken if it starts at or before its anchor.
 */
export class AnchoredRegexMatcher implements Matcher {
  readonly overlap: number;
  readonly textWindows = false;
  private readonly global: RegExp;
  private readonly anchors: LiteralFinder[];
  readonly arena?: ScanArena;

  /** `literals`: find the anchors through this set's shared pass (many matchers, one pass). */
  constructor(
    regex: RegExp,
    anchors: readonly string[],
    private readonly maxBack: number,
    private readonly maxLength = DEFAULT_MAX_MATCH,
    literals?: LiteralSet,
  ) {
    this.global = new RegExp(regex.source, regex.flags.replace(/[gy]/g, '') + 'g');
    this.anchors = anchors.map((a) =>
      literals ? literals.finder(a) : new LiteralMatcher(Buffer.from(a, 'latin1')),
    );
    if (literals) this.arena = literals;
    this.overlap = maxLength + maxBack;
  }

  /** Per anchor, its next occurrence in the current window (Infinity: no more): each is searched once. */
  private readonly cached: number[] = [];

  /** The earliest anchor occurrence at or after `from`, or -1. */
  private nextAnchor(window: Buffer, from: number): number {
    let best = Infinity;
    this.anchors.forEach((anchor, i) => {
      if (this.cached[i]! < from) {
        const at = anchor.find(window, from);
        this.cached[i] = at === -1 ? Infinity : at;
      }
      best = Math.min(best, this.cached[i]!);
    });
    return best === Infinity ? -1 : best;
  }

  scan(window: Buffer, from: number, final: boolean, emit: (start: number, end: number) => boolean): boolean {
    const limit = final ? window.length : window.length - this.overlap;
    this.cached.length = 0;
    this.anchors.forEach(() => this.cached.push(-1));
    let at = from;
    for (let p = this.nextAnchor(window, at); p !== -1; p = this.nextAnchor(window, p + 1)) {
      const textStart = Math.max(at, p - this.maxBack);
      if (textStart >= limit) return true;
      const text = window.toString('latin1', textStart, Math.min(window.length, p + this.maxLength));
      this.global.lastIndex = 0;
      const m = this.global.exec(text);
      if (!m || m[0].length === 0 || textStart + m.index > p) continue;
      const start = textStart + m.index;
      if (start >= limit) return true;
      if (!emit(start, start + m[0].length)) return false;
      at = start + m[0].length;
      if (p < at - 1) p = at - 1;
    }
    return true;
  }
}

const QUANTIFIER = /[*+?{]/;
const SPECIAL = /[\\^$.|?*+()[\]{}]/;

/**
 * The literal text every match of `source` starts with ('' if none is certain): the leading
 * plain characters, minus the last one when a quantifier follows it, and nothing at all when
 * the pattern has a top-level alternation (`abc|x`).
 */
export function literalPrefix(source: string): string {
  if (hasTopLevelAlternation(source)) return '';
  let i = 0;
  while (i < source.length && !SPECIAL.test(source[i]!)) i++;
  let prefix = source.slice(0, i);
  if (i < source.length && QUANTIFIER.test(source[i]!)) prefix = prefix.slice(0, -1);
  // Only one-byte characters: the regex runs on latin1 text.
  for (let j = 0; j < prefix.length; j++) if (prefix.charCodeAt(j) > 0xff) return '';
  return prefix;
}

function hasTopLevelAlternation(source: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return true;
  }
  return false;
}
