/** Request bodies, read through util/validate.ts like everything else kcr reads from outside. */
import type { Context } from 'hono';
import type { z } from 'zod';
import { parseJsonWith } from '../util/validate.js';

/** The JSON body validated by `schema`; a bad one is a 400 naming the field. */
export async function readJsonBody<S extends z.ZodType>(
  c: Context,
  schema: S,
  what: string,
): Promise<z.output<S>> {
  const text = await c.req.text();
  return parseJsonWith(schema, text, { what, code: 'usage' });
}
