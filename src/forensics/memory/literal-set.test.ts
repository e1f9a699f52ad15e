/**
 * The shared literal pass of `kcr secrets`: the SIMD path and the indexOf path find exactly what
 * a byte-by-byte search finds (overlapping occurrences, shared prefixes, literals shorter than the
 * fingerprint, at the window's edges), in its own scan buffers and in any other buffer, and the
 * secret rules built on it still find a secret that a chunk or page boundary cuts in two.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SECRET_RULES } from '../secret-patterns.js';
import { ruleMatchers } from '../secrets/secret-scan.js';
import { LiteralSet } from './literal-set.js';
import { LITERAL_SET_WASM } from './literal-set-wasm.js';
import { AnchoredRegexMatcher, LiteralMatcher, RegexMatcher } from './matchers.js';
import { scanSegments } from './scan.js';

const LITERALS = ['TOKEN', 'token', 'PASSWD', 'PASSWORD', 'xox', '://', 'AKIA', 'eyJ', 'ab', 'Z', 'aaaa'];

/** Every start of every literal, by comparing at each offset. */
function naive(window: Buffer, literals: readonly string[]): number[][] {
  return literals.map((lit) => {
    const needle = Buffer.from(lit, 'latin1');
    const out: number[] = [];
    for (let i = 0; i + needle.length <= window.length; i++) {
      if (window.compare(needle, 0, needle.length, i, i + needle.length) === 0) out.push(i);
    }
    return out;
  });
}

/** Pseudo-random bytes (fixed seed) with the literals planted, some overlapping, some at the edges. */
function haystack(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  let x = 0x2545f491;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  const plant = (text: string, at: number) => bytes.write(text, at, 'latin1');
  plant('TOKEN', 0); // at the very start
  plant('xoxoxox', 100); // overlapping: xox at 100, 102, 104
  plant('aaaaaaa', 200); // overlapping: aaaa at 200..203
  plant('PASSWORD PASSWD', 300); // shared prefix
  plant('https://x', 1000);
  for (let at = 4093; at < size - 64; at += 4096) plant('eyJ AKIA token', at); // across pages
  plant('TOKEN', size - 5); // ends the window exactly
  plant('PASSWO', size - 6 - 5); // would be PASSWORD but the window ends: not a hit
  return bytes;
}

describe('LiteralSet', () => {
  it('runs the SIMD pass here (Node 20 has WebAssembly SIMD)', () => {
    expect(new LiteralSet(['x']).usesSimd).toBe(true);
  });

  it.each([
    ['SIMD, in its own scan buffer', true, true],
    ['SIMD, a buffer copied in', true, false],
    ['indexOf', false, false],
  ])('finds every occurrence a byte-by-byte search finds (%s)', (_label, simd, inArena) => {
    const set = new LiteralSet(LITERALS, { simd });
    const bytes = haystack(64 * 1024 + 7);
    let window = bytes;
    if (inArena) {
      const [buffer] = set.scanBuffers(1, bytes.length + 100);
      bytes.copy(buffer!, 50);
      window = buffer!.subarray(50, 50 + bytes.length);
    }
    const expected = naive(bytes, LITERALS);
    expect(set.occurrences(window)).toEqual(expected);
    expect(expected.flat().length).toBeGreaterThan(60);
    expect(expected[LITERALS.indexOf('xox')]!.slice(0, 3)).toEqual([100, 102, 104]);
    expect(expected[LITERALS.indexOf('TOKEN')]).toContain(bytes.length - 5);
  });

  it('finds the same in every window size and alignment, the tail of each included', () => {
    const set = new LiteralSet(LITERALS);
    const bytes = haystack(9000);
    for (const [from, to] of [
      [0, 1],
      [0, 17],
      [3, 40],
      [101, 110],
      [4090, 4110],
      [1, 9000],
    ] as const) {
      const window = Buffer.from(bytes.subarray(from, to));
      expect(set.occurrences(window), `${from}-${to}`).toEqual(naive(window, LITERALS));
    }
  });

  it('a finder gives the first occurrence at or after an offset, like LiteralMatcher#find', () => {
    const set = new LiteralSet();
    const bytes = haystack(20000);
    for (const lit of ['xox', 'AKIA', 'TOKEN', 'nowhere-to-be-found']) {
      const shared = set.finder(lit);
      const alone = new LiteralMatcher(Buffer.from(lit, 'latin1'));
      for (const from of [0, 1, 101, 102, 103, 4093, 8189, 19990]) {
        expect(shared.find(bytes, from), `${lit} from ${from}`).toBe(alone.find(bytes, from));
      }
    }
  });

  it('is what literal-set.wat assembles to', (ctx) => {
    let hasWabt = true;
    try {
      execFileSync('wat2wasm', ['--version'], { stdio: 'ignore' });
    } catch {
      hasWabt = false;
    }
    if (!hasWabt) ctx.skip(); // .ci/run installs wabt; elsewhere the committed bytes stand
    const out = execFileSync(
      'node',
      ['-e', "import('./scripts/build-wasm.mjs').then((m) => process.stdout.write(m.assemble()))"],
      {
        encoding: 'utf8',
      },
    );
    expect(out).toContain(LITERAL_SET_WASM);
  });
});

describe('secret rules on the shared literal pass', () => {
  const text =
    'xx AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY00 ' +
    'API_TOKEN=tok_live_4eC39HqLyjWDarjtT1zdp7dc db=postgres://app:s3cr3t-pw@db.internal ' +
    'Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123 AKIAIOSFODNN7EXAMPLE ' +
    'glpat-abcdefghijklmnopqrst12 eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXNpZw xx';

  async function found(bytes: Buffer, chunkSize: number, shared: boolean) {
    const matchers = shared
      ? ruleMatchers()
      : SECRET_RULES.map((rule) =>
          rule.anchors
            ? new AnchoredRegexMatcher(rule.regex, rule.anchors, rule.maxBack ?? 0, 640)
            : new RegexMatcher(rule.regex, 640),
        );
    const out: string[] = [];
    await scanSegments(
      {
        name: 'test',
        readInto: async (offset, target, at, length) =>
          bytes.copy(target, at, offset, Math.min(bytes.length, offset + length)),
      },
      [{ start: 0, end: bytes.length }],
      matchers,
      (m) => {
        out.push(`${SECRET_RULES[m.matcher]!.id}@${m.start}:${m.bytes.toString('latin1')}`);
        return true;
      },
      { chunkSize },
    );
    return out.sort();
  }

  it.each([7, 64, 4096, 1 << 20])(
    'finds what one pass per anchor finds, each secret once, with %i-byte chunks',
    async (chunk) => {
      // The text twice, the second copy straddling a page boundary.
      const bytes = Buffer.alloc(8192, 0);
      bytes.write(text, 16, 'latin1');
      bytes.write(text, 4096 - 150, 'latin1');
      const shared = await found(bytes, chunk, true);
      expect(shared).toEqual(await found(bytes, 1 << 20, false));
      const rules = new Set(shared.map((s) => s.split('@')[0]));
      for (const id of ['aws-access-key-id', 'aws-secret-access-key', 'stripe-key', 'url-password']) {
        expect(rules, id).toContain(id);
      }
      expect(shared.filter((s) => s.startsWith('stripe-key@'))).toHaveLength(2);
    },
  );
});
