/** Machine-readable renderings shared by every command: `-o json` and `-o yaml`. */
import { createRequire } from 'node:module';
import { stringifyJson } from '../../util/json.js';
import { escapeJsonText, escapeYamlText } from './escape.js';

// yaml costs ~80 ms to load: load it on first use, so commands printing tables or JSON start faster.
// Through require, not `await import('yaml')`: in the split CLI bundle a dynamic import of this
// CommonJS package yields only its default export, so `const { stringify } = await import('yaml')`
// is undefined there (while the unbundled tests pass).
const requireLazily = createRequire(import.meta.url);
let yamlModule: typeof import('yaml') | undefined;

/** The yaml package, loaded on first use. */
export function yamlLib(): typeof import('yaml') {
  return (yamlModule ??= requireLazily('yaml') as typeof import('yaml'));
}

export function toJson(value: unknown): string {
  return escapeJsonText(stringifyJson(value, 2)) + '\n';
}

/**
 * The value as JSON would see it (toJSON called, undefined dropped), with bigints kept as bigints:
 * a plain JSON round trip would turn 18446744073699065856 into the double 18446744073699066000.
 * The marker carries a fresh nonce, so no string in the data can be mistaken for a bigint.
 */
function jsonView(value: unknown): unknown {
  // Web Crypto's global: importing node:crypto would cost every command's start a few ms.
  const mark = `\u0000bigint:${crypto.randomUUID()}:`;
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${mark}${v}` : v));
  if (text === undefined) return undefined;
  return JSON.parse(text, (_k, v: unknown) =>
    typeof v === 'string' && v.startsWith(mark) ? BigInt(v.slice(mark.length)) : v,
  );
}

export function toYaml(value: unknown): string {
  // yaml writes a bigint as a plain integer, digit for digit, as stringifyJson does in JSON.
  return escapeYamlText(yamlLib().stringify(jsonView(value), { lineWidth: 0 }));
}
