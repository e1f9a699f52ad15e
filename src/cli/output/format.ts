/** Machine-readable renderings shared by every command: `-o json` and `-o yaml`. */
import { createRequire } from 'node:module';
import { stringifyJson } from '../../util/json.js';

// yaml costs ~80 ms to load: load it on first use, so commands printing tables or JSON start faster.
const requireLazily = createRequire(import.meta.url);
let yamlStringify: typeof import('yaml').stringify | undefined;

export function toJson(value: unknown): string {
  return stringifyJson(value, 2) + '\n';
}

export function toYaml(value: unknown): string {
  // YAML has no bigint: write them as plain integers through a JSON round trip.
  const plain: unknown = JSON.parse(stringifyJson(value, 0), (_k, v: unknown) => v);
  yamlStringify ??= (requireLazily('yaml') as typeof import('yaml')).stringify;
  return yamlStringify(plain, { lineWidth: 0 });
}
