/**
 * The one way kcr checks what it reads from outside (archive members, registry documents, files
 * the user hands it, kubelet answers): JSON text is parsed, then validated with a zod schema into
 * a typed value. A failure is a KcrError naming the document and the field in plain words, e.g.
 * `spec.dump: annotations must be an object` or `index.json: manifests[0].digest is missing`.
 */
import type { z } from 'zod';
import { KcrError, type KcrErrorCode } from '../errors.js';

export interface Source {
  /** The document as the user knows it: `spec.dump`, `/path/index.json`, `registry.example: token response`. */
  what: string;
  hint?: string;
  /** `invalid-input` for files, `remote` for what a server answered. */
  code?: KcrErrorCode;
}

const TYPE_NAMES: Record<string, string> = {
  object: 'an object',
  record: 'an object',
  map: 'an object',
  array: 'an array',
  tuple: 'an array',
  set: 'an array',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  bigint: 'an integer',
  boolean: 'true or false',
  null: 'null',
};

/** `mounts[2].destination`, `annotations["io.kubernetes.pod.name"]`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$-]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

/** One zod issue in words: `annotations must be an object`, `process.args[1] must be a string`. */
export function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const field = fieldPath(issue.path);
  const subject = field || 'the document';
  switch (issue.code) {
    case 'invalid_type': {
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      if (!field) return `not ${expected === 'an object' ? 'a JSON object' : expected}`;
      if (valueAt(input, issue.path) === undefined) return `${field} is missing`;
      return `${field} must be ${expected}`;
    }
    case 'invalid_value':
      return `${subject} must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`;
    case 'unrecognized_keys':
      return `${subject} has unknown fields ${issue.keys.join(', ')}`;
    case 'invalid_union':
      return `${subject} has none of the accepted shapes`;
    default:
      return `${subject}: ${issue.message.toLowerCase()}`;
  }
}

function fail(source: Source, detail: string, cause?: unknown): KcrError {
  return new KcrError(source.code ?? 'invalid-input', `${source.what}: ${detail}`, {
    ...(source.hint === undefined ? {} : { hint: source.hint }),
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Checks an already parsed value against `schema`; the typed value, or a KcrError naming the field. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, source: Source): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw fail(source, issue ? describeIssue(issue, value) : 'invalid content', result.error);
}

/** JSON text to a plain value; text that is not JSON is a KcrError naming the document. */
export function parseJsonText(text: string | Buffer, source: Source): unknown {
  try {
    return JSON.parse(text.toString()) as unknown;
  } catch (err) {
    throw fail(source, (err instanceof Error ? err.message : String(err)).toLowerCase(), err);
  }
}

/** JSON text validated against `schema`: the one call for a document read from outside. */
export function parseJsonWith<S extends z.ZodType>(
  schema: S,
  text: string | Buffer,
  source: Source,
): z.output<S> {
  return validate(schema, parseJsonText(text, source), source);
}

/**
 * JSON text checked against `schema`, or undefined when it is absent, not JSON or not of that
 * shape: for hints beside the authoritative fields (annotations holding JSON), where a malformed
 * value means "fall back", not "fail".
 */
export function tryParseJsonWith<S extends z.ZodType>(
  schema: S,
  text: string | undefined,
): z.output<S> | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const checked = schema.safeParse(value);
  return checked.success ? checked.data : undefined;
}
