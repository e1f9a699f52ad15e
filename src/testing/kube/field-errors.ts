/**
 * Validation errors as the API server words them (k8s.io/apimachinery's field.Error): one line per
 * field, joined into a 422 `Invalid` Status whose `details.causes` list them one by one.
 */
import { statusBody, type StatusBody } from './objects.js';

export type FieldError =
  | { type: 'Required'; field: string; detail?: string }
  | { type: 'Invalid'; field: string; value: unknown; detail: string }
  | { type: 'NotSupported'; field: string; value: unknown; supported: unknown[] }
  | { type: 'Forbidden'; field: string; detail: string }
  | { type: 'NotFound'; field: string; value: unknown };

const REASONS = {
  Required: 'FieldValueRequired',
  Invalid: 'FieldValueInvalid',
  NotSupported: 'FieldValueNotSupported',
  Forbidden: 'FieldValueForbidden',
  NotFound: 'FieldValueNotFound',
} as const;

/** Go's %v of a JSON value, as the messages print it: strings quoted, numbers bare. */
function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? 'null');
}

/** The error without its field: `Required value`, `Invalid value: 0: must be greater than 0`. */
function describe(e: FieldError): string {
  switch (e.type) {
    case 'Required':
      return e.detail ? `Required value: ${e.detail}` : 'Required value';
    case 'Invalid':
      return `Invalid value: ${shown(e.value)}: ${e.detail}`;
    case 'NotSupported':
      return `Unsupported value: ${shown(e.value)}: supported values: ${e.supported.map(shown).join(', ')}`;
    case 'Forbidden':
      return `Forbidden: ${e.detail}`;
    case 'NotFound':
      return `Not found: ${shown(e.value)}`;
  }
}

export function fieldErrorText(e: FieldError): string {
  return `${e.field}: ${describe(e)}`;
}

/**
 * The 422 answer: `Checkpoint.kcr.dev "c1" is invalid: spec.pod: Required value` (a list of
 * several in brackets, as the aggregate error prints it).
 */
export function invalid(kind: string, group: string, name: string, errors: FieldError[]): StatusBody {
  const qualified = group ? `${kind}.${group}` : kind;
  const texts = errors.map(fieldErrorText);
  const joined = texts.length === 1 ? texts[0]! : `[${texts.join(', ')}]`;
  return statusBody(422, `${qualified} "${name}" is invalid: ${joined}`, {
    name,
    ...(group ? { group } : {}),
    kind,
    causes: errors.map((e) => ({ reason: REASONS[e.type], message: describe(e), field: e.field })),
  });
}
