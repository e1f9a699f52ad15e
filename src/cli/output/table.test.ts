import { describe, expect, it } from 'vitest';
import { renderTable, wrapText, type Column } from './table.js';

interface Row {
  name: string;
  path: string;
  queue: number;
  inode: number;
}

const rows: Row[] = [
  {
    name: 'web',
    path: '/var/lib/containers/storage/overlay/3f2a9c1b7d0e/merged/etc/nginx',
    queue: 29,
    inode: 102211,
  },
  { name: 'db', path: '/data', queue: 0, inode: 7 },
];
const columns: Column<Row>[] = [
  { header: 'NAME', value: (r) => r.name },
  { header: 'PATH', value: (r) => r.path, shrink: true },
  { header: 'QUEUE', value: (r) => r.queue, align: 'right', optional: true },
  { header: 'INODE', value: (r) => r.inode, align: 'right', wide: true },
];

describe('renderTable', () => {
  it('prints every cell whole off a terminal', () => {
    const text = renderTable(rows, columns);
    expect(text).toContain(rows[0]!.path);
    expect(text).not.toContain('INODE');
    expect(renderTable(rows, columns, { wide: true })).toMatch(/QUEUE +INODE\n/);
  });

  it('fits a terminal: optional columns go first, then long cells lose their middle', () => {
    const roomy = renderTable(rows, columns, { width: 90 });
    expect(roomy).toContain('QUEUE');
    expect(roomy).toContain(rows[0]!.path);
    const narrow = renderTable(rows, columns, { width: 40 });
    for (const line of narrow.trimEnd().split('\n')) expect(line.length).toBeLessThan(40);
    expect(narrow).not.toContain('QUEUE');
    expect(narrow).toMatch(/^web {4}\/var\/lib\/contain…erged\/etc\/nginx$/m);
    expect(narrow).toMatch(/^db {5}\/data$/m);
  });

  it('escapes control characters before measuring, so columns stay aligned', () => {
    const text = renderTable([{ name: 'a\x1b[2Jb', path: 'p', queue: 0, inode: 0 }], columns);
    expect(text).toBe('NAME        PATH   QUEUE\na\\x1b[2Jb   p          0\n');
  });

  it('cuts shrinkable columns below their usual minimum when many short ones leave no room', () => {
    type R = { a: string; b: string; c: string; d: string };
    const cols: Column<R>[] = [
      { header: 'CONTAINER', value: (r) => r.a, shrink: true },
      { header: 'POD', value: (r) => r.b, shrink: true },
      { header: 'NAMESPACE', value: (r) => r.c, shrink: true },
      { header: 'IMAGE', value: (r) => r.d, shrink: true },
    ];
    const row = {
      a: 'counter',
      b: 'counter-pod-with-a-long-name',
      c: 'default',
      d: '127.0.0.1:5000/bbcounter:latest',
    };
    const text = renderTable([row], cols, { width: 50 });
    for (const line of text.trimEnd().split('\n')) expect(line.length, line).toBeLessThan(50);
    expect(text).toMatch(/^counter +\S+…\S+ {3}default +\S+…\S+$/m);
  });

  it('wraps a prose column within its width on a narrow terminal, the other cells on its first line', () => {
    type F = { check: string; finding: string };
    const cols: Column<F>[] = [
      { header: 'CHECK', value: (f) => f.check },
      { header: 'FINDING', value: (f) => f.finding, wrap: true },
    ];
    const finding = 'CRI-O 1.31.2 restores a Pod whose image is a checkpoint image, with criu support on';
    const text = renderTable([{ check: 'restore', finding }], cols, { width: 40 });
    const lines = text.trimEnd().split('\n');
    for (const line of lines) expect(line.length, line).toBeLessThan(40);
    expect(lines[1]).toMatch(/^restore {3}CRI-O 1\.31\.2 restores a Pod/);
    expect(
      lines
        .slice(1)
        .map((l) => l.slice(10))
        .join(' '),
    ).toBe(finding);
    // Off a terminal, and where it fits, a row stays one line.
    expect(
      renderTable([{ check: 'restore', finding }], cols)
        .trimEnd()
        .split('\n'),
    ).toHaveLength(2);
  });

  it('leaves out optional columns for a prose column to wrap in its minWidth, not its whole length', () => {
    type D = { id: string; ns: string; taken: string; reason: string };
    const cols: Column<D>[] = [
      { header: 'ID', value: (d) => d.id },
      { header: 'NAMESPACE', value: (d) => d.ns, optional: true },
      { header: 'TAKEN', value: (d) => d.taken, optional: true },
      { header: 'REASON', value: (d) => d.reason, wrap: true, minWidth: 30 },
    ];
    const reason = 'keep-last 1 (per container): container default/webserver/webserver has 1 newer';
    const row = { id: '20261206t120058z-99a9e0c3', ns: 'default', taken: '2026-11-28 16:01:40Z', reason };
    const lines = renderTable([row], cols, { width: 80 }).trimEnd().split('\n');
    // TAKEN goes; NAMESPACE stays, since the reason can wrap in the room left.
    expect(lines[0]).toMatch(/^ID +NAMESPACE {3}REASON$/);
    for (const line of lines) expect(line.length, line).toBeLessThan(80);
    expect(
      lines
        .slice(1)
        .map((l) => l.slice(lines[0]!.indexOf('REASON')))
        .join(' '),
    ).toBe(reason);
  });

  it('prints rows whose cells must stay whole as blocks when the table cannot fit', () => {
    const cols: Column<Row>[] = [
      { header: 'NAME', value: (r) => r.name },
      { header: 'PATH', value: (r) => r.path },
    ];
    const text = renderTable(rows, cols, { width: 40, expandWhenNarrow: true });
    expect(text).toBe(`NAME   web\nPATH   ${rows[0]!.path}\n\nNAME   db\nPATH   /data\n`);
    // A table that fits is a table.
    expect(renderTable(rows, cols, { width: 120, expandWhenNarrow: true })).toMatch(/^NAME {3}PATH\n/);
  });

  it('wraps words at the width and cuts a word longer than it', () => {
    expect(wrapText('one two three', 7)).toEqual(['one two', 'three']);
    expect(wrapText('abcdefghij x', 4)).toEqual(['abcd', 'efgh', 'ij x']);
  });
});

describe('wrapText', () => {
  it('keeps leading and inner runs of spaces (aligned columns in a label)', () => {
    expect(wrapText('  1  PIPE  pipe:[437676]', 10)).toEqual(['  1  PIPE', 'pipe:[4376', '76]']);
  });
});
