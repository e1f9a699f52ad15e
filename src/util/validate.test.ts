/** Validation errors name the document and the field in words a user can act on. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldPath, parseJsonText, parseJsonWith } from './validate.js';

const spec = z.looseObject({
  annotations: z.record(z.string(), z.string()).optional(),
  process: z.object({ args: z.array(z.string()) }).optional(),
  mounts: z.array(z.object({ destination: z.string() })).optional(),
  kind: z.literal('Pod').optional(),
});

describe('parseJsonWith', () => {
  it.each([
    ['{"annotations":"x"}', 'spec.dump: annotations must be an object'],
    [
      '{"annotations":{"io.kubernetes.pod.name":7}}',
      'spec.dump: annotations["io.kubernetes.pod.name"] must be a string',
    ],
    ['{"process":{"args":["a",1]}}', 'spec.dump: process.args[1] must be a string'],
    ['{"mounts":[{}]}', 'spec.dump: mounts[0].destination is missing'],
    ['{"kind":"Service"}', 'spec.dump: kind must be "Pod"'],
    ['null', 'spec.dump: not a JSON object'],
    ['[]', 'spec.dump: not a JSON object'],
    ['{"annotations":', 'spec.dump: unexpected end of json input'],
  ])('%s → %s', (text, message) => {
    expect(() => parseJsonWith(spec, text, { what: 'spec.dump', hint: 'h' })).toThrow(
      expect.objectContaining({ code: 'invalid-input', message, hint: 'h' }),
    );
  });

  it('returns the typed value and keeps unknown fields of a loose schema', () => {
    const value = parseJsonWith(spec, '{"annotations":{"a":"b"},"extra":1}', { what: 'spec.dump' });
    expect(value).toEqual({ annotations: { a: 'b' }, extra: 1 });
  });

  it('says remote for what a server answered', () => {
    expect(() => parseJsonText('<html>', { what: 'r.example: token response', code: 'remote' })).toThrow(
      expect.objectContaining({
        code: 'remote',
        message: expect.stringMatching(/^r\.example: token response: unexpected token/),
      }),
    );
  });
});

describe('fieldPath', () => {
  it('writes dotted names for identifiers and brackets for indexes and odd keys', () => {
    expect(fieldPath(['spec', 'containers', 0, 'ports', 'io.k8s/x'])).toBe(
      'spec.containers[0].ports["io.k8s/x"]',
    );
  });
});
