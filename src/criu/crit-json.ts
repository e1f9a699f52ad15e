/**
 * Renders decoded images the way `crit decode` (without --pretty) prints them, so that
 * `kcr criu decode -o json` can be diffed against crit field by field:
 * fields in field-number order, enums by name, bytes as Python's base64.encodebytes,
 * unix socket names quoted-printable, and extra payloads under `extra`.
 */
import type { DecodedImage, EntryExtra } from './image.js';
import type { FieldSpec, MessageSpec } from './schema.js';

/** Python's base64.encodebytes: lines of 76 characters, each ending in a newline. */
export function pythonBase64(data: Uint8Array): string {
  const b64 = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
  let out = '';
  for (let i = 0; i < b64.length; i += 76) out += b64.slice(i, i + 76) + '\n';
  return out;
}

/** Python's quopri.encodestring (binascii.b2a_qp, quotetabs=False, header=False). */
export function quotedPrintable(data: Uint8Array): string {
  const MAXLINESIZE = 76;
  let out = '';
  let lineLength = 0;
  const emit = (piece: string) => {
    if (lineLength + piece.length > MAXLINESIZE - 1) {
      out += '=\n';
      lineLength = 0;
    }
    out += piece;
    lineLength += piece.length;
  };
  for (let i = 0; i < data.length; i++) {
    const c = data[i]!;
    const next = data[i + 1];
    if (c === 0x0a) {
      out += '\n';
      lineLength = 0;
      continue;
    }
    const atLineEnd = next === undefined || next === 0x0a;
    const needsQuote =
      c === 0x3d || c > 0x7e || (c < 0x20 && c !== 0x09) || ((c === 0x20 || c === 0x09) && atLineEnd);
    emit(needsQuote ? '=' + c.toString(16).toUpperCase().padStart(2, '0') : String.fromCharCode(c));
  }
  return out;
}

function renderValue(field: FieldSpec, value: unknown): unknown {
  if (field.kind === 'message') return renderMessage(field.spec, value as Record<string, unknown>);
  if (field.kind === 'enum') return field.enumSpec.byNumber.get(value as number) ?? value;
  if (field.type === 'bytes') {
    const bytes = value as Uint8Array;
    return field.conv === 'unix_name' ? quotedPrintable(bytes) : pythonBase64(bytes);
  }
  return value;
}

export function renderMessage(spec: MessageSpec, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields = [...spec.byNumber.entries()].sort((a, b) => a[0] - b[0]);
  for (const [, [name, field]] of fields) {
    const v = value[name];
    if (v === undefined) continue;
    if (field.repeated) {
      const list = v as unknown[];
      if (list.length === 0) continue;
      out[name] = list.map((item) => renderValue(field, item));
    } else {
      out[name] = renderValue(field, v);
    }
  }
  return out;
}

function renderExtra(extra: EntryExtra): unknown {
  if (extra.kind === 'tcp') return { inq: pythonBase64(extra.inq), outq: pythonBase64(extra.outq) };
  return pythonBase64(extra.data);
}

export function toCritJson(image: DecodedImage): { magic: string; entries: Record<string, unknown>[] } {
  return {
    magic: image.magic,
    entries: image.entries.map((entry) => {
      const out = renderMessage(entry.spec, entry.value);
      if (entry.extra) out.extra = renderExtra(entry.extra);
      return out;
    }),
  };
}
