import { describe, expect, it } from 'vitest';
import { renderTable, type Column } from './table.js';

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
});
