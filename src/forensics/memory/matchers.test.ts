/**
 * The scan engine and matchers on bytes held in memory: every match is found once whatever the
 * chunk size, never across two segments, and each pattern kind (hex, UTF-16, case-insensitive,
 * regex with or without a literal prefix, anchored regex) finds what it should.
 */
import { describe, expect, it } from 'vitest';
import {
  AnchoredRegexMatcher,
  LiteralMatcher,
  literalPrefix,
  RegexMatcher,
  type Matcher,
} from './matchers.js';
import { compilePattern, parseHexBytes } from './patterns.js';
import { scanSegments, type Segment } from './scan.js';

function source(bytes: Buffer) {
  return {
    name: 'test',
    readInto: async (offset: number, target: Buffer, at: number, length: number) =>
      bytes.copy(target, at, offset, Math.min(bytes.length, offset + length)),
  };
}

async function scan(bytes: Buffer, matchers: Matcher[], segments?: Segment[], chunkSize?: number) {
  const found: Array<[number, number, string]> = [];
  await scanSegments(
    source(bytes),
    segments ?? [{ start: 0, end: bytes.length }],
    matchers,
    (m) => {
      found.push([m.matcher, m.start, m.bytes.toString('latin1')]);
      return true;
    },
    { chunkSize },
  );
  return found;
}

/** 64 KiB of noise with the needles at known places, some straddling typical chunk sizes. */
function haystack(): { bytes: Buffer; at: number[] } {
  const bytes = Buffer.alloc(65536);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 251;
  const at = [5, 4090, 8191, 30000, 65536 - 11]; // the last one ends the buffer
  for (const p of at) bytes.write('NEEDLE-4242', p, 'latin1');
  return { bytes, at };
}

describe('scanSegments', () => {
  it.each([7, 64, 1000, 4096, 1 << 20])(
    'finds every literal exactly once with %i-byte chunks',
    async (chunk) => {
      const { bytes, at } = haystack();
      const found = await scan(bytes, [new LiteralMatcher(Buffer.from('NEEDLE-4242'))], undefined, chunk);
      expect(found.map(([, start]) => start)).toEqual(at);
    },
  );

  it.each([7, 64, 1000, 4096, 1 << 20])(
    'finds every regex match exactly once with %i-byte chunks',
    async (chunk) => {
      const { bytes, at } = haystack();
      const matchers = [new RegexMatcher(/NEEDLE-\d+/), new RegexMatcher(/[A-Z]{6}-\d{4}/, 64)];
      const found = await scan(bytes, matchers, undefined, chunk);
      expect(found.filter(([m]) => m === 0).map(([, s, t]) => [s, t])).toEqual(
        at.map((p) => [p, 'NEEDLE-4242']),
      );
      expect(found.filter(([m]) => m === 1).map(([, s]) => s)).toEqual(at);
    },
  );

  it.each([
    ['its first byte', 'Zaaaaaaaaaaa'],
    ['its last byte', 'aaaaaaaaaaaZ'],
    ['a byte in its middle', 'aaaaaZaaaaaa'],
  ])('finds a needle whose rarest byte is %s, among near misses', async (_where, needle) => {
    // Mostly 'a': the needle's one 'Z' is what the matcher searches for first. Near misses share
    // the needle's first bytes from the 'Z' on, or all but its last byte.
    const z = needle.indexOf('Z');
    const bytes = Buffer.alloc(20000, 'a');
    const miss = (at: number, text: string) => bytes.write(text, at, 'latin1');
    miss(100, needle.slice(0, -1) + 'b');
    miss(200, 'b' + needle.slice(1));
    miss(300, 'b'.repeat(z) + needle.slice(z, z + 6) + 'b'.repeat(needle.length));
    const at = [1000, 4090, 9999, 20000 - needle.length];
    for (const p of at) bytes.write(needle, p, 'latin1');
    for (const chunk of [64, 4096, 1 << 20]) {
      const found = await scan(bytes, [new LiteralMatcher(Buffer.from(needle))], undefined, chunk);
      expect(found.map(([, start]) => start)).toEqual(at);
    }
  });

  it('never matches across two segments, even when they touch in the member', async () => {
    const bytes = Buffer.from('....NEED|LE-4242....NEEDLE-4242');
    bytes[8] = 'X'.charCodeAt(0);
    const joined = Buffer.from('....NEEDLE-4242');
    const segments = [
      { start: 0, end: 8 },
      { start: 9, end: bytes.length },
    ];
    expect(await scan(bytes, [new LiteralMatcher(Buffer.from('NEEDLE'))], segments)).toEqual([
      [0, 20, 'NEEDLE'],
    ]);
    expect(
      await scan(
        joined,
        [new LiteralMatcher(Buffer.from('NEEDLE'))],
        [
          { start: 0, end: 8 },
          { start: 8, end: 15 },
        ],
      ),
    ).toEqual([]);
  });

  it('stops when the callback says so', async () => {
    const { bytes } = haystack();
    let n = 0;
    const complete = await scanSegments(
      source(bytes),
      [{ start: 0, end: bytes.length }],
      [new LiteralMatcher(Buffer.from('NEEDLE'))],
      () => ++n < 2,
    );
    expect(complete).toBe(false);
    expect(n).toBe(2);
  });
});

describe('patterns', () => {
  it('hex bytes in any common spelling', () => {
    for (const text of ['4b43522d', '4b 43 52 2d', '4b:43:52:2d', '\\x4b\\x43\\x52\\x2d', '0x4b43522d']) {
      expect(parseHexBytes(text).toString()).toBe('KCR-');
    }
  });

  it('a --wide string matches UTF-16LE text', async () => {
    const bytes = Buffer.concat([Buffer.alloc(10), Buffer.from('Passwort: geheim', 'utf16le')]);
    const found = await scan(bytes, [compilePattern({ kind: 'string', value: 'geheim', wide: true })]);
    expect(found.map(([, s]) => s)).toEqual([10 + 20]);
  });

  it('-i matches any case, including latin1 letters', async () => {
    const bytes = Buffer.from('x API_Token y api_token z Ä', 'latin1');
    const found = await scan(bytes, [
      compilePattern({ kind: 'string', value: 'API_TOKEN', ignoreCase: true }),
    ]);
    expect(found.map(([, , t]) => t)).toEqual(['API_Token', 'api_token']);
    const latin = await scan(bytes, [compilePattern({ kind: 'regex', value: '\\xe4', ignoreCase: true })]);
    expect(latin).toHaveLength(1);
  });

  it.each([
    ['KCR-MARKER-[0-9a-f]{6}', 'KCR-MARKER-'],
    ['tok_live_\\w+', 'tok_live_'],
    ['abc*', 'ab'],
    ['abc?d', 'ab'],
    ['abc|x', ''],
    ['(abc)', ''],
    ['[a-z]+', ''],
    ['ab(c|d)', 'ab'],
  ])('the literal prefix of /%s/ is "%s"', (source, prefix) => {
    expect(literalPrefix(source)).toBe(prefix);
  });

  it('an anchored regex finds matches that start before their anchor', async () => {
    const bytes = Buffer.from('..MY_API_TOKEN=abcdef123 .. db=postgres://u:pw@h ..');
    const m = new AnchoredRegexMatcher(/[A-Z_]*TOKEN=\w+/, ['TOKEN'], 32);
    const url = new AnchoredRegexMatcher(/[a-z]+:\/\/\w+:\w+@\w+/, ['://'], 16);
    expect(await scan(bytes, [m, url], undefined, 9)).toEqual([
      [0, 2, 'MY_API_TOKEN=abcdef123'],
      [1, bytes.indexOf('postgres'), 'postgres://u:pw@h'],
    ]);
  });
});
