/**
 * kubectl-style tables: upper-case headers, columns padded with three spaces, no borders. On a
 * terminal a table fits its width: cells of columns marked `shrink` lose their middle (paths and
 * digests keep their head and tail), the widest first; `-o wide` adds the low-value columns, and
 * JSON/YAML keep everything. Off a terminal (pipes, files) nothing is cut.
 */
import { elide } from './elide.js';
import { escapeText } from './escape.js';

export type Cell = string | number | bigint | boolean | undefined | null;

export interface Column<Row> {
  header: string;
  value: (row: Row) => Cell;
  /** Right-align numbers and sizes. */
  align?: 'left' | 'right';
  /** Only shown with `-o wide`. */
  wide?: boolean;
  /** May be cut in the middle to fit the terminal (paths, images, commands); never below `minWidth`. */
  shrink?: boolean;
  minWidth?: number;
  /** Left out on a terminal too narrow for the table even after shrinking (the rightmost go first). */
  optional?: boolean;
}

export interface TableOptions {
  /** Show the `wide` columns (`-o wide`). */
  wide?: boolean;
  /** Fit this many columns (the terminal's width); undefined: never cut. */
  width?: number;
}

const GAP = 3;
const DEFAULT_MIN = 12;

function cellText(cell: Cell): string {
  if (cell === undefined || cell === null || cell === '') return '<none>';
  return escapeText(String(cell));
}

/** Column widths that fit `limit`, taking from the widest shrinkable column first. */
function fitWidths<Row>(widths: number[], shown: readonly Column<Row>[], limit: number): number[] {
  const fitted = [...widths];
  const total = () => fitted.reduce((n, w) => n + w, 0) + GAP * (fitted.length - 1);
  const floor = (i: number) => Math.max(shown[i]!.header.length, shown[i]!.minWidth ?? DEFAULT_MIN);
  while (total() > limit) {
    let widest = -1;
    for (let i = 0; i < fitted.length; i++) {
      if (!shown[i]!.shrink || fitted[i]! <= floor(i)) continue;
      if (widest < 0 || fitted[i]! > fitted[widest]!) widest = i;
    }
    if (widest < 0) break; // nothing left to cut: the terminal wraps, as kubectl's would
    fitted[widest] = Math.max(floor(widest), fitted[widest]! - (total() - limit));
  }
  return fitted;
}

export function renderTable<Row>(
  rows: readonly Row[],
  columns: readonly Column<Row>[],
  options: boolean | TableOptions = {},
): string {
  const { wide = false, width } = typeof options === 'boolean' ? { wide: options } : options;
  let shown = columns.filter((c) => wide || !c.wide);
  let cells = rows.map((row) => shown.map((c) => cellText(c.value(row))));
  let widths = shown.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  if (width !== undefined) {
    // One column stays free at the edge, so a full-width line does not wrap on every terminal.
    // Optional columns go before any cell is cut: an address or a path is worth more whole.
    const limit = width - 1;
    const total = (ws: number[]) => ws.reduce((n, w) => n + w, 0) + GAP * (ws.length - 1);
    for (;;) {
      const drop = shown.findLastIndex((c) => c.optional);
      if (total(widths) <= limit || drop < 0) break;
      shown = shown.filter((_c, i) => i !== drop);
      cells = cells.map((r) => r.filter((_t, i) => i !== drop));
      widths = widths.filter((_w, i) => i !== drop);
    }
    widths = fitWidths(widths, shown, limit);
    cells = cells.map((r) => r.map((text, i) => elide(text, widths[i]!)));
  }
  const line = (values: string[]) => tableLine(values, shown, widths);
  return [line(shown.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}

function tableLine<Row>(values: readonly string[], shown: readonly Column<Row>[], widths: readonly number[]) {
  return values
    .map((v, i) => {
      const last = i === values.length - 1;
      if (shown[i]!.align === 'right') return v.padStart(widths[i]!);
      return last ? v : v.padEnd(widths[i]!);
    })
    .join(' '.repeat(GAP))
    .trimEnd();
}

/**
 * A table whose rows are not all at hand (a stream of 100,000 catalog rows): the caller gives each
 * column's width up front (the header's own width is added here), and gets the header and each
 * row as a line as it comes. A cell wider than its column pushes the rest of its line, as kubectl's
 * streamed tables do.
 */
export function streamedTable<Row, C extends Column<Row> = Column<Row>>(
  columns: readonly C[],
  widthOf: (column: C) => number,
  wide = false,
): { header: string; line: (row: Row) => string } {
  const shown = columns.filter((c) => wide || !c.wide);
  const widths = shown.map((c) => Math.max(c.header.length, widthOf(c)));
  return {
    header: tableLine(
      shown.map((c) => c.header),
      shown,
      widths,
    ),
    line: (row) =>
      tableLine(
        shown.map((c) => cellText(c.value(row))),
        shown,
        widths,
      ),
  };
}

/** The width a table on this stream should fit: the terminal's columns, or none off a terminal. */
export function tableWidth(stream: { isTTY?: boolean; columns?: number }): number | undefined {
  return stream.isTTY ? stream.columns || 80 : undefined;
}
