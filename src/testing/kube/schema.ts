/**
 * What the API server does with a custom resource against its CRD's structural schema: prune the
 * fields the schema does not know (unless x-kubernetes-preserve-unknown-fields), apply `default`s,
 * then validate types, required fields, enums, bounds, lengths, patterns and item counts, with
 * kube-openapi's messages word for word (`spec.timeoutSeconds in body should be greater than or
 * equal to 1`). Written here rather than with a JSON Schema library because the point is
 * Kubernetes' own behaviour and wording (pruning, int-or-string, the `in body` messages), which no
 * such library reproduces.
 */
import type { FieldError } from './field-errors.js';

export interface JsonSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  required?: string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
  nullable?: boolean;
  default?: unknown;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (v: unknown): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The JSON type name kube-openapi reports for a value. */
function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/**
 * Drops what the schema does not know and fills in defaults, in place; returns the paths dropped
 * (for `fieldValidation=Strict`, which refuses them instead).
 */
export function pruneAndDefault(value: unknown, schema: JsonSchema, path = ''): string[] {
  const pruned: string[] = [];
  if (Array.isArray(value)) {
    if (schema.items)
      value.forEach((item, i) => pruned.push(...pruneAndDefault(item, schema.items!, `${path}[${i}]`)));
    return pruned;
  }
  if (!isObject(value)) return pruned;
  const props = schema.properties ?? {};
  for (const [key, prop] of Object.entries(props)) {
    if (value[key] === undefined && prop.default !== undefined)
      value[key] = structuredClone(prop.default) as Json;
  }
  for (const key of Object.keys(value)) {
    // apiVersion, kind and metadata of the object itself are the API server's, never pruned.
    if (path === '' && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) continue;
    const prop =
      props[key] ??
      (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    if (prop) pruned.push(...pruneAndDefault(value[key], prop, join(path, key)));
    else if (!schema['x-kubernetes-preserve-unknown-fields'] && schema.additionalProperties !== true) {
      delete value[key];
      pruned.push(join(path, key));
    }
  }
  return pruned;
}

function checkType(value: unknown, schema: JsonSchema, path: string): FieldError | undefined {
  if (value === null) {
    return schema.nullable
      ? undefined
      : {
          type: 'Invalid',
          field: path,
          value: 'null',
          detail: `${path} in body must be of type ${schema.type}: "null"`,
        };
  }
  if (schema['x-kubernetes-int-or-string']) {
    const t = typeOf(value);
    return t === 'integer' || t === 'string'
      ? undefined
      : {
          type: 'Invalid',
          field: path,
          value: t,
          detail: `${path} in body must be of type integer,string: "${t}"`,
        };
  }
  if (!schema.type) return undefined;
  const actual = typeOf(value);
  const ok = actual === schema.type || (schema.type === 'number' && actual === 'integer');
  return ok
    ? undefined
    : {
        type: 'Invalid',
        field: path,
        value: actual,
        detail: `${path} in body must be of type ${schema.type}: "${actual}"`,
      };
}

function checkBounds(value: unknown, s: JsonSchema, path: string, errors: FieldError[]): void {
  const bad = (detail: string) =>
    errors.push({ type: 'Invalid', field: path, value, detail: `${path} in body ${detail}` });
  if (typeof value === 'number') {
    if (s.minimum !== undefined && (s.exclusiveMinimum ? value <= s.minimum : value < s.minimum))
      bad(`should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${s.minimum}`);
    if (s.maximum !== undefined && (s.exclusiveMaximum ? value >= s.maximum : value > s.maximum))
      bad(`should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${s.maximum}`);
  }
  if (typeof value === 'string') {
    const length = [...value].length;
    if (s.minLength !== undefined && length < s.minLength)
      bad(`should be at least ${s.minLength} chars long`);
    if (s.maxLength !== undefined && length > s.maxLength) bad(`should be at most ${s.maxLength} chars long`);
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(value))
      bad(`should match '${s.pattern}'`);
    if (s.format === 'date-time' && Number.isNaN(Date.parse(value))) bad('must be of type date-time');
  }
  if (Array.isArray(value)) {
    if (s.minItems !== undefined && value.length < s.minItems)
      bad(`should have at least ${s.minItems} items`);
    if (s.maxItems !== undefined && value.length > s.maxItems) bad(`should have at most ${s.maxItems} items`);
  }
}

/** Every violation of `schema` in `value` (after pruning), with the field path from the root. */
export function validateSchema(value: unknown, schema: JsonSchema, path = ''): FieldError[] {
  const wrongType = checkType(value, schema, path);
  if (wrongType) return [wrongType];
  if (value === null) return [];
  const errors: FieldError[] = [];
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    errors.push({ type: 'NotSupported', field: path, value, supported: schema.enum });
  }
  checkBounds(value, schema, path, errors);
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => errors.push(...validateSchema(item, schema.items!, `${path}[${i}]`)));
  }
  if (isObject(value)) {
    for (const key of schema.required ?? []) {
      if (value[key] === undefined) errors.push({ type: 'Required', field: join(path, key) });
    }
    for (const [key, child] of Object.entries(value)) {
      const prop =
        schema.properties?.[key] ??
        (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      // The root's metadata is checked by the API server's own rules, not the schema's.
      if (prop && !(path === '' && key === 'metadata'))
        errors.push(...validateSchema(child, prop, join(path, key)));
    }
  }
  return errors;
}
