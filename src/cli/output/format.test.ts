/**
 * `-o yaml` and `-o json` print the same values, 64-bit integers digit for digit: on every
 * fixture, every CRIU image as `kcr criu decode` renders it, and the whole inspect report.
 */
import { execFileSync } from 'node:child_process';
import { isSafeNumber, parse as parseLosslessJson } from 'lossless-json';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { toCritJson } from '../../criu/crit-json.js';
import { decodeImage } from '../../criu/image.js';
import { isRawImage } from '../../criu/magic.js';
import { INSPECT_VIEWS, inspect } from '../../forensics/inspect.js';
import { withCheckpoint } from '../../forensics/checkpoint.js';
import { builtBin } from '../../testing/built-cli.js';
import { allFixtures, fixture } from '../../testing/fixtures.js';
import { toJson, toYaml } from './format.js';

/** JSON with every integer exact: bigint where a double would round it. */
function parseExactJson(text: string): unknown {
  return parseLosslessJson(text, undefined, (n) => (isSafeNumber(n) ? Number(n) : BigInt(n)));
}

/** YAML read back the same way (the yaml package reads integers as bigint on request). */
function parseExactYaml(text: string): unknown {
  return parseYaml(text, { intAsBigInt: true, maxAliasCount: -1 });
}

/** Both parsers' numbers in one form, so a bigint 7n and a number 7 compare equal. */
function normalize(value: unknown): unknown {
  if (typeof value === 'bigint' || typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  return value;
}

function expectSameValues(value: unknown, label: string): void {
  const fromJson = normalize(parseExactJson(toJson(value)));
  const fromYaml = normalize(parseExactYaml(toYaml(value)));
  expect(fromYaml, label).toEqual(fromJson);
}

describe('-o yaml prints what -o json prints', () => {
  it.each(allFixtures().map((f) => f.archive))(
    '%s: every CRIU image and the inspect report',
    async (archive) => {
      await withCheckpoint(fixture(archive), async (cp) => {
        const images = cp.archive.members().filter((m) => m.name.endsWith('.img') && m.type === 'file');
        expect(images.length).toBeGreaterThan(5);
        for (const member of images) {
          if (isRawImage(member.name)) continue; // memory pages and tarballs: bytes, not entries
          const decoded = toCritJson(decodeImage(await cp.archive.read(member.name), member.name));
          expectSameValues(decoded, member.name);
        }
        expectSameValues(await inspect(cp, { views: new Set(INSPECT_VIEWS) }), 'inspect');
      });
    },
  );

  it('keeps a VMA start above 2^53 exact (kcr criu decode … -o yaml)', () => {
    const spec = `${fixture('podman/nginx-webserver-1.tar')}:checkpoint/mm-1.img`;
    const yaml = execFileSync(builtBin('kcr'), ['criu', 'decode', spec, '-o', 'yaml'], { encoding: 'utf8' });
    const json = execFileSync(builtBin('kcr'), ['criu', 'decode', spec, '-o', 'json'], { encoding: 'utf8' });
    expect(yaml).toMatch(/\b18446744073699065856\b/);
    expect(yaml).not.toMatch(/\b18446744073699066000\b/);
    expect(normalize(parseExactYaml(yaml))).toEqual(normalize(parseExactJson(json)));
  });
});
