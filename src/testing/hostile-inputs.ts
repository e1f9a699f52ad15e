/**
 * Builds hostile checkpoint archives (never stored: made from a real fixture at test time): tar
 * headers with numeric fields no writer produces, PAX records that lie, truncations, gzip and zstd
 * bombs, damaged metadata, CRIU images with absurd values, parent cycles, duplicate members,
 * control bytes in names, and rootfs diffs that point outside. The raw tar writer is here because
 * no tar library writes a wrong field on purpose.
 */
import { gzipSync } from 'node:zlib';
import { CheckpointArchive } from '../archive/archive.js';
import { IMG_COMMON, MAGICS } from '../criu/magic.js';
import { pstreeEntry } from '../criu/messages/core.js';
import { mmEntry } from '../criu/messages/mm.js';
import { encodeMessage, type Decoded, type FieldMap } from '../criu/schema.js';
import { compressor } from '../util/compression.js';
import { decodeMm, encodeEntries } from './criu-images.js';

const BLOCK = 512;

export interface RawMember {
  name: string;
  data?: Buffer;
  /** Type flag: '0' file (default), '5' dir, '2' symlink, '1' hardlink, 'x' PAX, 'L' GNU long name. */
  type?: string;
  linkname?: string;
  /** Raw bytes for header fields, written as they are (padded with NULs or cut to the field). */
  fields?: Partial<Record<'size' | 'mode' | 'mtime' | 'uid' | 'chksum', Buffer>>;
}

export interface HostileInput {
  id: string;
  /** The class of attack, for the test's report. */
  kind: string;
  bytes: Buffer;
  /** File name ending (the reader sniffs content; the name only matters to people). */
  ext: '.tar' | '.tar.gz' | '.tar.zst';
  /** A secret planted in the input that must never be printed. */
  secret?: string;
  /** Large enough (100k processes) that only the process tree is worth running on it. */
  heavy?: true;
}

const FIELD_AT = {
  mode: [100, 8],
  uid: [108, 8],
  size: [124, 12],
  mtime: [136, 12],
  chksum: [148, 8],
} as const;

function octal(value: number, length: number): string {
  return value.toString(8).padStart(length - 1, '0') + '\0';
}

function header(m: RawMember): Buffer {
  const h = Buffer.alloc(BLOCK);
  const size = m.data?.length ?? 0;
  h.write(m.name.slice(0, 100), 0, 'utf8');
  h.write(octal(0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(1764000000, 12), 136, 'ascii');
  h.write(m.type ?? '0', 156, 'ascii');
  if (m.linkname) h.write(m.linkname.slice(0, 100), 157, 'utf8');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  for (const [field, raw] of Object.entries(m.fields ?? {})) {
    const [at, length] = FIELD_AT[field as keyof typeof FIELD_AT];
    h.fill(0, at, at + length);
    raw.copy(h, at, 0, Math.min(raw.length, length));
  }
  if (!m.fields?.chksum) {
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(octal(sum, 7) + ' ', 148, 'ascii');
  }
  return h;
}

/** A tar of `members` in order, with the end-of-archive marker. */
export function rawTar(members: RawMember[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    parts.push(header(m));
    if (m.data?.length) {
      parts.push(m.data);
      const pad = (BLOCK - (m.data.length % BLOCK)) % BLOCK;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

/** One PAX extended header member carrying `records`. */
export function paxMember(records: Record<string, string>): RawMember {
  const body = Object.entries(records)
    .map(([k, v]) => {
      const rest = ` ${k}=${v}\n`;
      let len = rest.length + 1;
      while (String(len).length + rest.length !== len) len++;
      return `${len}${rest}`;
    })
    .join('');
  return { name: 'PaxHeaders/x', type: 'x', data: Buffer.from(body) };
}

/** The regular files of a real fixture, in archive order. */
export async function fixtureMembers(path: string): Promise<RawMember[]> {
  const archive = await CheckpointArchive.open(path);
  try {
    const out: RawMember[] = [];
    for (const m of archive.members()) {
      if (m.type === 'file') out.push({ name: m.name, data: await archive.read(m.name) });
    }
    return out;
  } finally {
    await archive.close();
  }
}

function image(magic: number, payloads: Buffer[]): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(IMG_COMMON, 0);
  head.writeUInt32LE(magic, 4);
  return Buffer.concat([
    head,
    ...payloads.flatMap((p) => {
      const size = Buffer.alloc(4);
      size.writeUInt32LE(p.length, 0);
      return [size, p];
    }),
  ]);
}

function pstree(entries: Array<{ pid: number; ppid: number }>): Buffer {
  return image(
    MAGICS.PSTREE,
    entries.map((e) =>
      Buffer.from(
        encodeMessage(pstreeEntry, { pid: e.pid, ppid: e.ppid, pgid: 1, sid: 1, threads: [e.pid] }),
      ),
    ),
  );
}

function withMm<F extends FieldMap>(original: Buffer, patch: Partial<Decoded<F>>): Buffer {
  const mm = { ...decodeMm(original), ...patch } as Decoded<typeof mmEntry.fields>;
  return encodeEntries(mmEntry, MAGICS.MM, [mm]);
}

const b = (s: string) => Buffer.from(s, 'latin1');
/** Numeric field values no tar writer produces. */
const BAD_NUMBERS: Array<[string, Buffer]> = [
  ['negative-base256', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfa, 0x00])],
  ['huge-base256', Buffer.from([0x80, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
  ['letters', b('abc')],
  ['minus', b('-1536')],
  ['nine', b('99999999999')],
  ['high-bytes', Buffer.alloc(12, 0xff)],
  ['spaces', b('           ')],
  ['embedded-space', b('7 7 7')],
];

const PAX_SIZES = [
  '-1536',
  'abc',
  '1e3',
  '',
  '99999999999999999999',
  '0x10',
  ' 12',
  '-0',
  '12abc',
  '9007199254740993',
];

export const SECRET = 'hunter2-SUPERSECRET-archive-value';

/**
 * Every hostile input, built from the members of one real (small) fixture. Deterministic: the same
 * fixture gives the same inputs, so a failure names an input that can be rebuilt.
 */
export async function hostileInputs(fixturePath: string): Promise<HostileInput[]> {
  const base = await fixtureMembers(fixturePath);
  const find = (name: string) => base.find((m) => m.name === name)!;
  const replaced = (name: string, data: Buffer) => base.map((m) => (m.name === name ? { ...m, data } : m));
  const out: HostileInput[] = [];
  const tar = (id: string, kind: string, members: RawMember[], secret?: string) =>
    out.push({ id, kind, bytes: rawTar(members), ext: '.tar', ...(secret ? { secret } : {}) });

  // 1. Numeric header fields, on members read early and late.
  const targets = [
    'config.dump',
    'spec.dump',
    'checkpoint/pstree.img',
    'checkpoint/inventory.img',
    'rootfs-diff.tar',
  ];
  for (const target of targets)
    for (const field of ['size', 'mode', 'mtime', 'uid', 'chksum'] as const)
      for (const [label, value] of BAD_NUMBERS)
        tar(
          `field-${field}-${label}-${target}`,
          'tar numeric field',
          base.map((m) => (m.name === target ? { ...m, fields: { [field]: value } } : m)),
        );

  // 2. PAX records that lie about size, time and name.
  for (const target of ['checkpoint/pstree.img', 'config.dump'])
    for (const size of PAX_SIZES) {
      const i = base.findIndex((m) => m.name === target);
      tar(`pax-size-${JSON.stringify(size)}-${target}`, 'PAX size', [
        ...base.slice(0, i),
        paxMember({ size }),
        ...base.slice(i),
      ]);
    }
  for (const mtime of ['abc', '1e400', '-99999999999999999', '1.2.3'])
    tar(`pax-mtime-${mtime}`, 'PAX mtime', [paxMember({ mtime }), ...base]);
  for (const path of ['../../etc/passwd', '/etc/shadow', 'a/../../b', 'checkpoint/../../x'])
    tar(`pax-path-${path}`, 'PAX path', [...base, paxMember({ path }), { name: 'innocent', data: b('x') }]);
  tar('pax-huge-record', 'PAX size', [
    { name: 'PaxHeaders/big', type: 'x', data: Buffer.alloc(3 * 1024 * 1024, 0x31) },
    ...base,
  ]);
  tar('gnu-long-name-huge', 'GNU long name', [
    { name: '././@LongLink', type: 'L', data: Buffer.alloc(2 * 1024 * 1024, 0x61) },
    ...base,
  ]);

  // 3. Truncations.
  const whole = rawTar(base);
  for (const at of [
    1,
    100,
    511,
    512,
    513,
    1024,
    4096,
    Math.floor(whole.length / 3),
    Math.floor(whole.length / 2),
    whole.length - 1024 - 1,
  ])
    out.push({ id: `truncated-at-${at}`, kind: 'truncated tar', bytes: whole.subarray(0, at), ext: '.tar' });

  // 4. Compression bombs and damage, both codecs.
  const zstdOf = async (data: Buffer) => {
    const z = await compressor('zstd');
    const chunks: Buffer[] = [];
    z.on('data', (c: Buffer) => chunks.push(c));
    const done = new Promise((resolve, reject) => z.on('end', resolve).on('error', reject));
    z.end(data);
    await done;
    return Buffer.concat(chunks);
  };
  const zeros = Buffer.alloc(64 * 1024 * 1024);
  const oneHeaderThenJunk = Buffer.concat([
    header({ name: 'config.dump', data: Buffer.alloc(10) }),
    Buffer.alloc(16, 0x41),
    Buffer.alloc(32 * 1024 * 1024, 0x42),
  ]);
  const trailer = Buffer.concat([whole, Buffer.alloc(8 * 1024 * 1024)]);
  const member1GiB = Buffer.concat([
    header({ name: 'config.dump', fields: { size: b(octal(1024 ** 3, 12)) } }),
    Buffer.alloc(4 * 1024 * 1024),
  ]);
  const compressedCases: Array<[string, Buffer]> = [
    ['zeros-not-tar', zeros],
    ['header-then-junk', oneHeaderThenJunk],
    ['trailer-8MiB', trailer],
    ['member-claims-1GiB', member1GiB],
    ['valid', whole],
  ];
  for (const [label, data] of compressedCases) {
    const gz = gzipSync(data, { level: 1 });
    const zst = await zstdOf(data);
    out.push({ id: `gzip-${label}`, kind: 'gzip', bytes: gz, ext: '.tar.gz' });
    out.push({ id: `zstd-${label}`, kind: 'zstd', bytes: zst, ext: '.tar.zst' });
    if (label === 'valid')
      for (const frac of [0.1, 0.5, 0.9]) {
        out.push({
          id: `gzip-cut-${frac}`,
          kind: 'gzip',
          bytes: gz.subarray(0, Math.floor(gz.length * frac)),
          ext: '.tar.gz',
        });
        out.push({
          id: `zstd-cut-${frac}`,
          kind: 'zstd',
          bytes: zst.subarray(0, Math.floor(zst.length * frac)),
          ext: '.tar.zst',
        });
      }
  }

  // 5. Metadata that is not what it says, with a secret that errors must not echo.
  const metadataCases: Array<[string, Buffer]> = [
    ['secret-in-broken-json', b(`{"process":{"env":["API_TOKEN=${SECRET}" "x"]}}`)],
    ['secret-after-garbage', b(`${SECRET} is not JSON`)],
    ['deep-nesting', b('['.repeat(200_000))],
    ['escapes', b('{"id":"\x1b]52;c;ZWNobyBoaQ==\x07\x1b[2J\u009b31m"}')],
    ['wrong-types', b('{"id":5,"rootfsImageName":[],"annotations":"x","createdTime":{}}')],
    ['null', b('null')],
    ['empty', b('')],
    ['huge-string', b(`{"id":"${'A'.repeat(8 * 1024 * 1024)}"}`)],
    ['binary', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131) % 256))],
  ];
  for (const member of ['config.dump', 'spec.dump'])
    for (const [label, data] of metadataCases)
      tar(`meta-${member}-${label}`, 'metadata', replaced(member, data), SECRET);

  // 6. CRIU images with absurd values and shapes.
  const mm = find('checkpoint/mm-1.img').data!;
  const mmCases: Array<[string, Partial<Decoded<typeof mmEntry.fields>>]> = [
    ['args-300MiB', { mm_arg_start: 0x10000n, mm_arg_end: 0x10000n + 300n * 1024n * 1024n }],
    ['args-1GiB', { mm_arg_start: 0x10000n, mm_arg_end: 0x10000n + 1024n ** 3n }],
    ['args-2^63', { mm_arg_start: 1n, mm_arg_end: 2n ** 63n }],
    ['args-max', { mm_arg_start: 0n, mm_arg_end: 2n ** 64n - 1n }],
    ['env-inverted', { mm_env_start: 2n ** 40n, mm_env_end: 1n }],
    ['env-2^63', { mm_env_start: 1n, mm_env_end: 2n ** 63n }],
  ];
  for (const [label, patch] of mmCases)
    tar(`mm-${label}`, 'CRIU mm', replaced('checkpoint/mm-1.img', withMm(mm, patch)));
  const chain = (n: number) => Array.from({ length: n }, (_, i) => ({ pid: i + 1, ppid: i }));
  const siblings = (n: number) => [
    { pid: 1, ppid: 0 },
    ...Array.from({ length: n }, (_, i) => ({ pid: i + 2, ppid: 1 })),
  ];
  const pstreeCases: Array<[string, Buffer]> = [
    [
      'cycle',
      pstree([
        { pid: 1, ppid: 0 },
        { pid: 36, ppid: 38 },
        { pid: 37, ppid: 36 },
        { pid: 38, ppid: 37 },
      ]),
    ],
    ['self-parent', pstree([{ pid: 1, ppid: 1 }])],
    [
      'all-in-cycle',
      pstree([
        { pid: 1, ppid: 36 },
        { pid: 36, ppid: 1 },
      ]),
    ],
    [
      'duplicate-pid',
      pstree([
        { pid: 1, ppid: 0 },
        { pid: 1, ppid: 0 },
        { pid: 36, ppid: 1 },
        { pid: 36, ppid: 1 },
      ]),
    ],
    ['chain-10k', pstree(chain(10_000))],
    ['chain-100k', pstree(chain(100_000))],
    ['siblings-100k', pstree(siblings(100_000))],
    ['empty', image(MAGICS.PSTREE, [])],
    ['entry-size-4GiB', Buffer.concat([image(MAGICS.PSTREE, []), Buffer.from([0xff, 0xff, 0xff, 0xff])])],
    ['wrong-magic', image(MAGICS.MM, [Buffer.from([8, 1])])],
    [
      'varint-overlong',
      image(MAGICS.PSTREE, [
        Buffer.from([8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
      ]),
    ],
  ];
  // The cycle's members get a core image each (36's, copied), so that the tree can show them.
  const core36 = find('checkpoint/core-36.img').data!;
  const withCores = (members: RawMember[], pids: number[]) => [
    ...members,
    ...pids.map((pid) => ({ name: `checkpoint/core-${pid}.img`, data: core36 })),
  ];
  for (const [label, data] of pstreeCases) {
    const members = replaced('checkpoint/pstree.img', data);
    tar(`pstree-${label}`, 'CRIU pstree', label === 'cycle' ? withCores(members, [37, 38]) : members);
    if (label.endsWith('100k')) out[out.length - 1]!.heavy = true;
  }
  for (const name of [
    'checkpoint/core-1.img',
    'checkpoint/inventory.img',
    'checkpoint/pagemap-1.img',
    'checkpoint/files.img',
  ])
    for (const [label, data] of [
      ['garbage', Buffer.from(Array.from({ length: 777 }, (_, i) => (i * 37 + 11) % 256))],
      ['header-only', find(name).data!.subarray(0, 8)],
      ['cut', find(name).data!.subarray(0, Math.max(9, find(name).data!.length - 3))],
    ] as Array<[string, Buffer]>)
      tar(`criu-${label}-${name}`, 'CRIU image', replaced(name, data));

  // 7. Duplicate members: the last is read, and a warning says so.
  tar('duplicate-config', 'duplicates', [...base, { name: 'config.dump', data: b('{"id":"second"}') }]);
  tar('duplicate-pstree', 'duplicates', [
    ...base,
    { name: 'checkpoint/pstree.img', data: pstree([{ pid: 1, ppid: 0 }]) },
  ]);

  // 8. Control bytes in names.
  for (const [label, name] of [
    ['osc52', 'checkpoint/\x1b]52;c;ZWNobyBoaQ==\x07x.img'],
    ['csi', 'x\x1b[2J\x1b[31mred'],
    ['c1', 'c1-\u009b31m'],
  ] as Array<[string, string]>)
    tar(`name-${label}`, 'control bytes', [...base, { name, data: b('x') }]);

  // 8b. Control characters in what the views print: the container and image names (config.dump),
  // pod, namespace and container annotations, argv and env (spec.dump), the container log, and a
  // rootfs file name. OSC 52 writes the clipboard, CSI 2J clears the screen, U+009B is an 8-bit CSI.
  const evil = (what: string) => `${what}\x1b]52;c;ZWNobyBoaQ==\x07\x1b[2J\u009b31m`;
  const json = (name: string, edit: (doc: Record<string, unknown>) => void) => {
    const doc = JSON.parse(find(name).data!.toString('utf8')) as Record<string, unknown>;
    edit(doc);
    return Buffer.from(JSON.stringify(doc), 'utf8');
  };
  const specDump = json('spec.dump', (spec) => {
    const process = spec.process as { args: string[]; env: string[] };
    process.args = [...process.args, evil('arg')];
    process.env = [...process.env, `EVIL=${evil('env')}`, evil('NAME')];
    spec.annotations = {
      ...(spec.annotations as Record<string, string>),
      'io.kubernetes.pod.name': evil('pod'),
      'io.kubernetes.pod.namespace': evil('ns'),
      'io.kubernetes.container.name': evil('ctr'),
      [evil('key')]: 'value',
    };
  });
  const configDump = json('config.dump', (config) => {
    config.name = evil('name');
    config.rootfsImageName = evil('image');
  });
  const printed: Array<[string, RawMember[]]> = [
    ['spec', replaced('spec.dump', specDump)],
    ['config', replaced('config.dump', configDump)],
    ['log', replaced('ctr.log', Buffer.from(`2026-11-28T16:00:00Z stdout F ${evil('log')}\n`, 'utf8'))],
    ['rootfs-name', replaced('rootfs-diff.tar', rawTar([{ name: evil('etc/x'), data: b('x') }]))],
  ];
  for (const [label, members] of printed) tar(`printed-${label}`, 'control bytes', members);

  // 9. rootfs diffs that point outside or lie.
  const rootfsCases: Array<[string, RawMember[]]> = [
    ['traversal', [{ name: '../../escape', data: b('x') }]],
    ['absolute', [{ name: '/etc/cron.d/x', data: b('x') }]],
    ['hardlink-up', [{ name: 'etc/passwd', type: '1', linkname: '../../../etc/passwd' }]],
    ['symlink-out', [{ name: 'etc/passwd', type: '2', linkname: '/etc/shadow' }]],
    ['garbage-mtime', [{ name: 'etc/hosts', data: b('x'), fields: { mtime: Buffer.alloc(12, 0xff) } }]],
    ['negative-size', [{ name: 'etc/hosts', data: b('x'), fields: { size: BAD_NUMBERS[0]![1] } }]],
  ];
  for (const [label, members] of rootfsCases)
    tar(`rootfs-${label}`, 'rootfs diff', replaced('rootfs-diff.tar', rawTar(members)));
  return out;
}
