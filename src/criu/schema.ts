/**
 * A small schema language for CRIU's proto2 messages, and a decoder and encoder over it.
 *
 * The wire format comes from @bufbuild/protobuf's BinaryReader/BinaryWriter; the message
 * definitions are ours (see ./messages), written from CRIU's documented field numbers.
 * Decoded messages keep CRIU's field names (snake_case) so they line up with `crit decode`.
 */
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { KcrError } from '../errors.js';

export type Int32Type = 'uint32' | 'int32' | 'sint32' | 'fixed32' | 'sfixed32';
export type Int64Type = 'uint64' | 'int64' | 'sint64' | 'fixed64' | 'sfixed64';
export type ScalarType = Int32Type | Int64Type | 'bool' | 'string' | 'bytes' | 'float' | 'double';

export interface EnumSpec {
  readonly name: string;
  readonly byNumber: ReadonlyMap<number, string>;
  readonly byName: Readonly<Record<string, number>>;
}

interface BaseField {
  readonly no: number;
  readonly repeated: boolean;
}
export interface ScalarField<T extends ScalarType = ScalarType> extends BaseField {
  readonly kind: 'scalar';
  readonly type: T;
  /** crit's custom conversion for bytes (only `unix_name`, quoted-printable). */
  readonly conv?: 'unix_name';
}
export interface EnumField extends BaseField {
  readonly kind: 'enum';
  readonly enumSpec: EnumSpec;
}
export interface MessageField<F extends FieldMap = FieldMap> extends BaseField {
  readonly kind: 'message';
  readonly spec: MessageSpec<F>;
}
export type FieldSpec = ScalarField | EnumField | MessageField;
export type FieldMap = { readonly [name: string]: FieldSpec };

export interface MessageSpec<F extends FieldMap = FieldMap> {
  readonly name: string;
  readonly fields: F;
  /** field number → [name, spec], for the decoder. */
  readonly byNumber: ReadonlyMap<number, readonly [string, FieldSpec]>;
}

type ScalarTs<T extends ScalarType> = T extends Int64Type
  ? bigint
  : T extends 'bool'
    ? boolean
    : T extends 'string'
      ? string
      : T extends 'bytes'
        ? Uint8Array
        : number;

type FieldTs<S> =
  S extends MessageField<infer G>
    ? Decoded<G>
    : S extends EnumField
      ? number
      : S extends ScalarField<infer T>
        ? ScalarTs<T>
        : never;

/** The decoded form of a message: every field optional (proto2 `required` may be absent in bad input). */
export type Decoded<F extends FieldMap> = {
  -readonly [K in keyof F]?: F[K] extends { repeated: true } ? FieldTs<F[K]>[] : FieldTs<F[K]>;
};
export type DecodedOf<M> = M extends MessageSpec<infer F> ? Decoded<F> : never;

export function enumeration(name: string, values: Record<string, number>): EnumSpec {
  return {
    name,
    byName: values,
    byNumber: new Map(Object.entries(values).map(([k, v]) => [v, k])),
  };
}

export function message<F extends FieldMap>(name: string, fields: F): MessageSpec<F> {
  const byNumber = new Map<number, readonly [string, FieldSpec]>();
  for (const [fieldName, spec] of Object.entries(fields)) byNumber.set(spec.no, [fieldName, spec]);
  return { name, fields, byNumber };
}

type Rep = 'repeated' | undefined;
type Repeated<R extends Rep> = R extends 'repeated' ? true : false;

function scalar<T extends ScalarType>(type: T) {
  return <R extends Rep = undefined>(no: number, rep?: R) =>
    ({ kind: 'scalar', type, no, repeated: rep === 'repeated' }) as ScalarField<T> & {
      repeated: Repeated<R>;
    };
}

/** Field constructors: `f.uint32(1)`, `f.uint64(2, 'repeated')`, `f.message(3, spec)`, `f.enum(4, spec)`. */
export const f = {
  uint32: scalar('uint32'),
  int32: scalar('int32'),
  sint32: scalar('sint32'),
  fixed32: scalar('fixed32'),
  sfixed32: scalar('sfixed32'),
  uint64: scalar('uint64'),
  int64: scalar('int64'),
  sint64: scalar('sint64'),
  fixed64: scalar('fixed64'),
  sfixed64: scalar('sfixed64'),
  bool: scalar('bool'),
  string: scalar('string'),
  float: scalar('float'),
  double: scalar('double'),
  bytes<R extends Rep = undefined>(no: number, opts?: { conv?: 'unix_name'; repeated?: R }) {
    return {
      kind: 'scalar',
      type: 'bytes',
      no,
      repeated: opts?.repeated === 'repeated',
      ...(opts?.conv ? { conv: opts.conv } : {}),
    } as ScalarField<'bytes'> & { repeated: Repeated<R> };
  },
  enum<R extends Rep = undefined>(no: number, enumSpec: EnumSpec, rep?: R) {
    return { kind: 'enum', no, enumSpec, repeated: rep === 'repeated' } as EnumField & {
      repeated: Repeated<R>;
    };
  },
  message<G extends FieldMap, R extends Rep = undefined>(no: number, spec: MessageSpec<G>, rep?: R) {
    return { kind: 'message', no, spec, repeated: rep === 'repeated' } as MessageField<G> & {
      repeated: Repeated<R>;
    };
  },
  /** A field whose message is defined later or is the message itself (recursive messages). */
  lazyMessage<R extends Rep = undefined>(no: number, spec: () => MessageSpec, rep?: R) {
    const field = { kind: 'message', no, repeated: rep === 'repeated' };
    Object.defineProperty(field, 'spec', { get: spec, enumerable: true });
    return field as MessageField & { repeated: Repeated<R> };
  },
};

/**
 * Malformed protobuf, as the one user-facing error class (a library user calling decodeMessage
 * gets a KcrError like every other kcr error); the image decoder adds the file and entry.
 */
function wireError(message: string): KcrError {
  return new KcrError('invalid-input', message, {
    hint: 'the CRIU image is damaged or not a CRIU image; `kcr verify --deep` or crit decode names the bad entry',
  });
}

const textDecoder = new TextDecoder('utf-8', { fatal: false });
const decodeUtf8 = (bytes: Uint8Array) => textDecoder.decode(bytes);

function readScalar(reader: BinaryReader, type: ScalarType): unknown {
  switch (type) {
    case 'uint32':
      return reader.uint32();
    case 'int32':
      return reader.int32();
    case 'sint32':
      return reader.sint32();
    case 'fixed32':
      return reader.fixed32();
    case 'sfixed32':
      return reader.sfixed32();
    case 'uint64':
      return BigInt(reader.uint64());
    case 'int64':
      return BigInt(reader.int64());
    case 'sint64':
      return BigInt(reader.sint64());
    case 'fixed64':
      return BigInt(reader.fixed64());
    case 'sfixed64':
      return BigInt(reader.sfixed64());
    case 'bool':
      return reader.bool();
    case 'string':
      return reader.string();
    case 'bytes':
      return reader.bytes().slice();
    case 'float':
      return reader.float();
    case 'double':
      return reader.double();
  }
}

function wireTypeOf(spec: FieldSpec): WireType {
  if (spec.kind === 'message') return WireType.LengthDelimited;
  if (spec.kind === 'enum') return WireType.Varint;
  switch (spec.type) {
    case 'fixed32':
    case 'sfixed32':
    case 'float':
      return WireType.Bit32;
    case 'fixed64':
    case 'sfixed64':
    case 'double':
      return WireType.Bit64;
    case 'string':
    case 'bytes':
      return WireType.LengthDelimited;
    default:
      return WireType.Varint;
  }
}

function readValue(reader: BinaryReader, spec: FieldSpec, depth: number): unknown {
  if (spec.kind === 'message') return decodeMessageAt(spec.spec, reader.bytes(), depth + 1);
  if (spec.kind === 'enum') return reader.int32();
  return readScalar(reader, spec.type);
}

function decodeMessageAt(spec: MessageSpec, buf: Uint8Array, depth: number): Record<string, unknown> {
  if (depth > 32) throw wireError(`${spec.name}: messages nested too deeply`);
  const reader = new BinaryReader(buf, decodeUtf8);
  const out: Record<string, unknown> = {};
  try {
    while (reader.pos < reader.len) {
      const [no, wireType] = reader.tag();
      const known = spec.byNumber.get(no);
      if (!known) {
        // Unknown fields: newer CRIU versions add fields; skip them, never fail.
        reader.skip(wireType, no);
        continue;
      }
      const [name, field] = known;
      const expected = wireTypeOf(field);
      if (field.repeated) {
        const list = (out[name] as unknown[] | undefined) ?? [];
        out[name] = list;
        if (wireType === WireType.LengthDelimited && expected !== WireType.LengthDelimited) {
          // Packed encoding: CRIU writes repeated scalars unpacked, but proto2 readers must accept both.
          const packed = new BinaryReader(reader.bytes(), decodeUtf8);
          while (packed.pos < packed.len) list.push(readValue(packed, field, depth));
          continue;
        }
        if (wireType !== expected) {
          reader.skip(wireType, no);
          continue;
        }
        list.push(readValue(reader, field, depth));
        continue;
      }
      if (wireType !== expected) {
        reader.skip(wireType, no);
        continue;
      }
      out[name] = readValue(reader, field, depth);
    }
  } catch (err) {
    if (err instanceof KcrError) throw err;
    throw wireError(`${spec.name}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (reader.pos > reader.len) throw wireError(`${spec.name}: truncated message`);
  return out;
}

/** Decodes one protobuf payload. Throws a KcrError (invalid-input) on malformed input, and nothing else. */
export function decodeMessage<F extends FieldMap>(spec: MessageSpec<F>, buf: Uint8Array): Decoded<F> {
  return decodeMessageAt(spec, buf, 0) as Decoded<F>;
}

function writeScalar(writer: BinaryWriter, type: ScalarType, value: unknown): void {
  switch (type) {
    case 'uint64':
    case 'int64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      writer[type](value as bigint);
      return;
    case 'bool':
      writer.bool(value as boolean);
      return;
    case 'string':
      writer.string(value as string);
      return;
    case 'bytes':
      writer.bytes(value as Uint8Array);
      return;
    default:
      writer[type](value as number);
  }
}

function encodeInto(writer: BinaryWriter, spec: MessageSpec, value: Record<string, unknown>): void {
  const fields = [...spec.byNumber.entries()].sort((a, b) => a[0] - b[0]);
  for (const [no, [name, field]] of fields) {
    const v = value[name];
    if (v === undefined) continue;
    const values = field.repeated ? (v as unknown[]) : [v];
    for (const item of values) {
      writer.tag(no, wireTypeOf(field));
      if (field.kind === 'message') {
        const inner = new BinaryWriter();
        encodeInto(inner, field.spec, item as Record<string, unknown>);
        writer.bytes(inner.finish());
      } else if (field.kind === 'enum') {
        writer.int32(item as number);
      } else {
        writeScalar(writer, field.type, item);
      }
    }
  }
}

/** Encodes a message the way CRIU does (repeated scalars unpacked). Used to craft test and bench images. */
export function encodeMessage<F extends FieldMap>(spec: MessageSpec<F>, value: Decoded<F>): Uint8Array {
  const writer = new BinaryWriter();
  encodeInto(writer, spec as MessageSpec, value as Record<string, unknown>);
  return writer.finish();
}
