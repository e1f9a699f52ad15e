/** Machine-readable renderings shared by every command: `-o json` and `-o yaml`. */
import { stringify as yamlStringify } from 'yaml';
import { stringifyJson } from '../../util/json.js';

export function toJson(value: unknown): string {
  return stringifyJson(value, 2) + '\n';
}

export function toYaml(value: unknown): string {
  // YAML has no bigint: write them as plain integers through a JSON round trip.
  const plain: unknown = JSON.parse(stringifyJson(value, 0), (_k, v: unknown) => v);
  return yamlStringify(plain, { lineWidth: 0 });
}
