import { parse as parseYaml, stringify as yamlStringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  escapeJsonText,
  escapeLines,
  escapeText,
  escapeYamlText,
  guardStream,
  hasUnsafeText,
} from './escape.js';

describe('escapeText', () => {
  it.each([
    ['plain /usr/bin/nginx', 'plain /usr/bin/nginx'],
    ['a\x1b[31mred', 'a\\x1b[31mred'],
    ['csi\u009b2J', 'csi\\u009b2J'],
    ['nul\u0000end', 'nul\\x00end'],
    ['del\x7f', 'del\\x7f'],
    ['two\nlines\tand\rcr', 'two\\nlines\\tand\\rcr'],
    ['rtl\u202eoverride', 'rtl\\u202eoverride'],
    ['ünïcödé ✓ 日本', 'ünïcödé ✓ 日本'],
  ])('shows %j as %j', (raw, shown) => {
    expect(escapeText(raw)).toBe(shown);
    expect(hasUnsafeText(raw)).toBe(raw !== shown);
  });

  it('keeps the newlines and tabs of whole lines', () => {
    expect(escapeLines('a\tb\n\x1b[2Jc\n')).toBe('a\tb\n\\x1b[2Jc\n');
  });
});

describe('escapeJsonText / escapeYamlText', () => {
  it('escapes DEL and C1 in JSON and reads back to the same string', () => {
    const value = { name: 'x\u009by\x7fz\x1b' };
    const text = escapeJsonText(JSON.stringify(value));
    expect(text).toBe('{"name":"x\\u009by\\u007fz\\u001b"}');
    expect(JSON.parse(text)).toEqual(value);
  });

  it('escapes DEL and C1 inside YAML double quotes and reads back to the same string', () => {
    const value = { name: 'x\u009by', other: 'del\x7f', plain: 'ok' };
    const text = escapeYamlText(yamlStringify(value));
    expect(text).not.toMatch(/[\u007f-\u009f]/);
    expect(parseYaml(text)).toEqual(value);
  });
});

describe('guardStream', () => {
  it('escapes strings, passes bytes through, and keeps the stream itself', () => {
    const seen: (string | Uint8Array)[] = [];
    const raw = { isTTY: true, columns: 80, write: (c: string | Uint8Array) => void seen.push(c) };
    const guarded = guardStream(raw);
    guarded.write('x\x1b[2J\n');
    guarded.write(Buffer.from([0x1b, 0x9b]));
    expect(seen[0]).toBe('x\\x1b[2J\n');
    expect(Buffer.from(seen[1]!)).toEqual(Buffer.from([0x1b, 0x9b]));
    expect(guarded.isTTY).toBe(true);
    expect(guarded.columns).toBe(80);
  });
});
