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
  /**
   * Prose (a finding, a reason): on a terminal still too narrow after shrinking, it wraps at
   * spaces within its column instead of pushing the row past the edge. Meant for the last column.
   * Its `minWidth` is the width it keeps when optional columns are left out to make room.
   */
  wrap?: boolean;
}

export interface TableOptions {
  /** Show the `wide` columns (`-o wide`). */
  wide?: boolean;
  /** Fit this many columns (the terminal's width); undefined: never cut. */
  width?: number;
  /**
   * Cells that must stay whole (paths and digests a user copies): a table that does not fit the
   * width even after shrinking is printed as one block of `HEADER  value` lines per row instead.
   */
  expandWhenNarrow?: boolean;
}

const GAP = 3;
const DEFAULT_MIN = 12;
/** Below this a cut cell (`ab…yz`) says too little to be worth showing. */
const HARD_MIN = 5;
/** A wrapped column narrower than this reads as a word list. */
const WRAP_MIN = 20;

function cellText(cell: Cell): string {
  if (cell === undefined || cell === null || cell === '') return '<none>';
  return escapeText(String(cell));
}

/** How wide a table with these column widths is, gaps included. */
function span(widths: readonly number[]): number {
  return widths.reduce((n, w) => n + w, 0) + GAP * (widths.length - 1);
}

/**
 * The columns that fit `limit` and their widths, for renderTable and streamedTable alike: optional
 * columns go first (the rightmost first), before any cell is cut, since an address or a path is
 * worth more whole; then fitWidths narrows the shrinkable ones. `kept` indexes `shown`.
 */
function fitColumns<Row>(
  shown: readonly Column<Row>[],
  widths: readonly number[],
  limit: number,
): { kept: number[]; widths: number[] } {
  const kept = shown.map((_c, i) => i);
  const widthsOf = () => kept.map((i) => widths[i]!);
  // Prose wraps, so it claims only the width it can wrap in (its minWidth) against the columns
  // that would otherwise be left out; what room is left it takes afterwards.
  const claimed = (i: number) => {
    const c = shown[i]!;
    return c.wrap ? Math.min(widths[i]!, Math.max(c.header.length, c.minWidth ?? WRAP_MIN)) : widths[i]!;
  };
  for (;;) {
    const drop = kept.findLastIndex((i) => shown[i]!.optional);
    if (span(kept.map(claimed)) <= limit || drop < 0) break;
    kept.splice(drop, 1);
  }
  return {
    kept,
    widths: fitWidths(
      widthsOf(),
      kept.map((i) => shown[i]!),
      limit,
    ),
  };
}

/**
 * Column widths that fit `limit`, taking from the widest shrinkable column first: down to each
 * column's `minWidth` first, then, if the table is still too wide (many short columns), down to
 * its header, so that a table fits whenever its shrinkable columns can make the room.
 */
function fitWidths<Row>(widths: number[], shown: readonly Column<Row>[], limit: number): number[] {
  const fitted = [...widths];
  const total = () => span(fitted);
  const soft = (i: number) => Math.max(shown[i]!.header.length, shown[i]!.minWidth ?? DEFAULT_MIN);
  const hard = (i: number) => Math.max(shown[i]!.header.length, HARD_MIN);
  for (const floor of [soft, hard]) {
    while (total() > limit) {
      let widest = -1;
      for (let i = 0; i < fitted.length; i++) {
        if (!shown[i]!.shrink || fitted[i]! <= floor(i)) continue;
        if (widest < 0 || fitted[i]! > fitted[widest]!) widest = i;
      }
      if (widest < 0) break;
      fitted[widest] = Math.max(floor(widest), fitted[widest]! - (total() - limit));
    }
  }
  // What still does not fit is left to the terminal to wrap, as kubectl's tables are.
  return fitted;
}

/** Words of `text` in lines of at most `width` (a longer word is cut), as a terminal user reads prose. */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  // undefined until the line has a word: a leading space (an aligned column) is kept.
  let current: string | undefined;
  for (const word of text.split(' ')) {
    const joined = current === undefined ? word : `${current} ${word}`;
    if (joined.length <= width) {
      current = joined;
      continue;
    }
    if (current !== undefined) lines.push(current.trimEnd());
    let rest = word;
    while (rest.length > width) {
      lines.push(rest.slice(0, width));
      rest = rest.slice(width);
    }
    current = rest;
  }
  lines.push(current ?? '');
  return lines;
}

/** One block per row, `HEADER  value` a line, blank lines between: nothing is cut. */
function renderRecords(cells: string[][], headers: string[]): string {
  const labelWidth = Math.max(...headers.map((h) => h.length));
  return cells
    .map((row) => row.map((v, i) => `${headers[i]!.padEnd(labelWidth)}   ${v}`.trimEnd()).join('\n') + '\n')
    .join('\n');
}

/** Lays one wrapped column's extra lines under its row: the other cells of those lines are blank. */
function wrapRows(cells: string[][], at: number, width: number): string[][] {
  return cells.flatMap((row) => {
    const parts = wrapText(row[at]!, width);
    return parts.map((part, n) => row.map((text, i) => (i === at ? part : n === 0 ? text : '')));
  });
}

export function renderTable<Row>(
  rows: readonly Row[],
  columns: readonly Column<Row>[],
  options: boolean | TableOptions = {},
): string {
  const {
    wide = false,
    width,
    expandWhenNarrow = false,
  } = typeof options === 'boolean' ? { wide: options } : options;
  let shown = columns.filter((c) => wide || !c.wide);
  let cells = rows.map((row) => shown.map((c) => cellText(c.value(row))));
  let widths = shown.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  if (width !== undefined) {
    // One column stays free at the edge, so a full-width line does not wrap on every terminal.
    const limit = width - 1;
    const fit = fitColumns(shown, widths, limit);
    shown = fit.kept.map((i) => shown[i]!);
    cells = cells.map((r) => fit.kept.map((i) => r[i]!));
    widths = fit.widths;
    const over = span(widths) - limit;
    if (over > 0 && expandWhenNarrow && rows.length > 0) {
      return renderRecords(
        cells,
        shown.map((c) => c.header),
      );
    }
    const wrap = shown.findIndex((c) => c.wrap);
    cells = cells.map((r) => r.map((text, i) => (i === wrap ? text : elide(text, widths[i]!))));
    if (over > 0 && wrap >= 0) {
      widths[wrap] = Math.max(widths[wrap]! - over, shown[wrap]!.header.length, WRAP_MIN);
      cells = wrapRows(cells, wrap, widths[wrap]!);
    }
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
 * row as a line as it comes. With `width` (a terminal), the table fits it as renderTable's does:
 * optional columns go first, then shrinkable cells lose their middle. Off a terminal a cell wider
 * than its column pushes the rest of its line, as kubectl's streamed tables do.
 */
export function streamedTable<Row, C extends Column<Row> = Column<Row>>(
  columns: readonly C[],
  widthOf: (column: C) => number,
  options: boolean | Pick<TableOptions, 'wide' | 'width'> = {},
): { header: string; line: (row: Row) => string } {
  const { wide = false, width } = typeof options === 'boolean' ? { wide: options } : options;
  let shown = columns.filter((c) => wide || !c.wide);
  let widths = shown.map((c) => Math.max(c.header.length, widthOf(c)));
  if (width !== undefined) {
    const fit = fitColumns(shown, widths, width - 1); // one column free at the edge, as renderTable
    shown = fit.kept.map((i) => shown[i]!);
    widths = fit.widths;
  }
  const cut =
    width === undefined ? (text: string) => text : (text: string, i: number) => elide(text, widths[i]!);
  return {
    header: tableLine(
      shown.map((c) => c.header),
      shown,
      widths,
    ),
    line: (row) =>
      tableLine(
        shown.map((c, i) => cut(cellText(c.value(row)), i)),
        shown,
        widths,
      ),
  };
}

/** `2026-11-28 16:04Z`: a table's time, to the minute (JSON and -o wide keep the full timestamp). */
export function shortTime(iso: string | undefined): string | undefined {
  const m = iso && /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)/.exec(iso);
  return m ? `${m[1]} ${m[2]}Z` : iso;
}

/** The width a table on this stream should fit: the terminal's columns, or none off a terminal. */
export function tableWidth(stream: { isTTY?: boolean; columns?: number }): number | undefined {
  return stream.isTTY ? stream.columns || 80 : undefined;
}
