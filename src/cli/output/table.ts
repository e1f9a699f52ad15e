/** kubectl-style tables: upper-case headers, columns padded with three spaces, no borders. */
import { escapeText } from './escape.js';
export type Cell = string | number | bigint | boolean | undefined | null;

export interface Column<Row> {
  header: string;
  value: (row: Row) => Cell;
  /** Right-align numbers and sizes. */
  align?: 'left' | 'right';
  /** Only shown with `-o wide`. */
  wide?: boolean;
}

function cellText(cell: Cell): string {
  if (cell === undefined || cell === null || cell === '') return '<none>';
  return escapeText(String(cell));
}

export function renderTable<Row>(
  rows: readonly Row[],
  columns: readonly Column<Row>[],
  wide = false,
): string {
  const shown = columns.filter((c) => wide || !c.wide);
  const cells = rows.map((row) => shown.map((c) => cellText(c.value(row))));
  const widths = shown.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => {
        const last = i === values.length - 1;
        if (shown[i]!.align === 'right') return v.padStart(widths[i]!);
        return last ? v : v.padEnd(widths[i]!);
      })
      .join('   ')
      .trimEnd();
  return [line(shown.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}
