/** What the user asks `kcr mem search` for, turned into matchers, with errors that name the input. */
import { KcrError } from '../../errors.js';
import { DEFAULT_MAX_MATCH, LiteralMatcher, RegexMatcher, type Matcher } from './matchers.js';

export type SearchPattern =
  /** Text, searched as its UTF-8 bytes (or UTF-16LE with `wide`). */
  | { kind: 'string'; value: string; ignoreCase?: boolean; wide?: boolean }
  /** A JavaScript regex over the latin1 view of memory: one char per byte. */
  | { kind: 'regex'; value: string; ignoreCase?: boolean }
  /** Bytes in hex: `deadbeef`, `de ad be ef`, `de:ad:be:ef`, `\xde\xad`, `0xdeadbeef`. */
  | { kind: 'hex'; value: string };

export function parseHexBytes(text: string): Buffer {
  const digits = text
    .trim()
    .replace(/^0x/i, '')
    .replace(/\\x/gi, '')
    .replace(/[\s:,-]/g, '');
  if (digits.length === 0 || digits.length % 2 !== 0 || !/^[0-9a-f]+$/i.test(digits)) {
    throw new KcrError('invalid-input', `invalid hex bytes "${text}"`, {
      hint: 'give an even number of hex digits, e.g. -x "4b 43 52 2d" or -x 4b43522d',
    });
  }
  return Buffer.from(digits, 'hex');
}

export function compileRegex(source: string, ignoreCase = false): RegExp {
  try {
    return new RegExp(source, ignoreCase ? 'i' : '');
  } catch (err) {
    const reason =
      err instanceof Error ? err.message.replace(/^Invalid regular expression: /, '') : String(err);
    throw new KcrError('invalid-input', `invalid regex "${source}": ${reason}`, {
      hint: 'JavaScript regex syntax, over bytes (latin1); -s searches a plain string',
    });
  }
}

const escapeRegex = (text: string) => text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');

/** The bytes a string pattern stands for, as latin1 text (one char per byte) for regex use. */
function stringBytes(value: string, wide = false): Buffer {
  return Buffer.from(value, wide ? 'utf16le' : 'utf8');
}

export function compilePattern(pattern: SearchPattern, maxMatch = DEFAULT_MAX_MATCH): Matcher {
  switch (pattern.kind) {
    case 'hex':
      return new LiteralMatcher(parseHexBytes(pattern.value));
    case 'string': {
      if (pattern.value === '') {
        throw new KcrError('invalid-input', 'empty search string', { hint: 'give -s a non-empty string' });
      }
      const bytes = stringBytes(pattern.value, pattern.wide);
      if (!pattern.ignoreCase) return new LiteralMatcher(bytes);
      // Case folding needs the regex engine; the literal's bytes, escaped, as latin1 text.
      return new RegexMatcher(
        new RegExp(escapeRegex(bytes.toString('latin1')), 'i'),
        Math.max(bytes.length, 1),
      );
    }
    case 'regex':
      return new RegexMatcher(compileRegex(pattern.value, pattern.ignoreCase), maxMatch);
  }
}

/** Human label of a pattern, for output headers and JSON. */
export function describePattern(pattern: SearchPattern): string {
  if (pattern.kind === 'hex') return `hex ${parseHexBytes(pattern.value).toString('hex')}`;
  const flags = pattern.ignoreCase ? ' (ignoring case)' : '';
  return pattern.kind === 'regex' ? `/${pattern.value}/${flags}` : `"${pattern.value}"${flags}`;
}
