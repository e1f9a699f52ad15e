import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { describe, expect, it } from 'vitest';
import { pstreeEntry } from './messages/core.js';
import { vmaEntry } from './messages/mm.js';
import { KcrError } from '../errors.js';
import { decodeMessage, encodeMessage } from './schema.js';

describe('protobuf decoding of CRIU messages', () => {
  it('decodes the pstree entry bytes verified against crit (unpacked repeated threads)', () => {
    const bytes = Buffer.from('0807100118012001280728 08'.replace(/ /g, ''), 'hex');
    expect(decodeMessage(pstreeEntry, bytes)).toEqual({ pid: 7, ppid: 1, pgid: 1, sid: 1, threads: [7, 8] });
  });

  it('accepts packed repeated fields, which proto2 readers must', () => {
    const w = new BinaryWriter().tag(1, WireType.Varint).uint32(7).tag(5, WireType.LengthDelimited).fork();
    w.uint32(7).uint32(8).uint32(9);
    const bytes = w.join().finish();
    expect(decodeMessage(pstreeEntry, bytes).threads).toEqual([7, 8, 9]);
  });

  it('skips fields it does not know, so newer CRIU images still decode', () => {
    const w = new BinaryWriter().tag(1, WireType.Varint).uint32(42);
    w.tag(99, WireType.LengthDelimited).string('from the future');
    w.tag(100, WireType.Bit64).fixed64(1n).tag(101, WireType.Bit32).fixed32(5);
    w.tag(2, WireType.Varint).uint32(1);
    expect(decodeMessage(pstreeEntry, w.finish())).toEqual({ pid: 42, ppid: 1 });
  });

  it('keeps 64-bit values exact and decodes zig-zag sint64', () => {
    const vma = { start: 0xffffffffff600000n, end: 0xffffffffff601000n, fd: -1n, prot: 5 };
    const decoded = decodeMessage(vmaEntry, encodeMessage(vmaEntry, vma));
    expect(decoded).toEqual(vma);
    expect(Buffer.from(encodeMessage(vmaEntry, { fd: -1n })).toString('hex')).toBe('4001');
  });

  it('reports a payload cut inside a field as malformed', () => {
    expect(() => decodeMessage(pstreeEntry, Buffer.from([0x08, 0x81]))).toThrow(KcrError);
  });
});
