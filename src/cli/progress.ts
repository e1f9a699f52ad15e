/**
 * Progress bars (bytes, rate, ETA), drawn on stderr only when it is a terminal and -q was not
 * given; in pipes and CI logs the library's callbacks are simply dropped. cli-progress does the
 * drawing; the line itself is built here, so that it fits the terminal's width, and the rate is
 * measured over a sliding window, so that an instant copy does not report 500 GiB/s.
 *
 * Results must never mix with bars: `withProgress` stops and clears every bar before it returns,
 * and only then does a command print its result.
 */
import { MultiBar, type Options, type Params, type SingleBar } from 'cli-progress';
import type { TransferProgress } from '../oci/index.js';
import { formatBytes } from '../util/units.js';
import type { CliContext } from './context.js';
import { elide } from './output/elide.js';
import { escapeText } from './output/escape.js';

/** One bar's state, as any long operation reports it (transfers, memory scans). */
export interface ProgressReport {
  /** What is being done: `pushing`, `scanning`, ... (at most 8 characters reads best). */
  verb: string;
  /** What it is done to: a layer, a file, a process. */
  label: string;
  transferred: number;
  total?: number;
  done?: boolean;
  /** The work restarted at this offset: the rate is measured afresh. */
  restarted?: boolean;
}

export interface ProgressRenderer {
  /** Undefined when nothing is drawn (not a terminal, or -q): callers then skip the bookkeeping. */
  onProgress?: (p: TransferProgress) => void;
  report?: (p: ProgressReport) => void;
  /**
   * Clears the bars drawn so far, so that a message line can be written between two phases of
   * work (a bar's line and a message never share a row); the next report draws new bars.
   */
  pause(): void;
  /** Stops and clears every bar; idempotent. */
  stop(): void;
}

const VERB: Record<TransferProgress['phase'], string> = {
  digest: 'hashing',
  compress: 'packing',
  encrypt: 'sealing',
  upload: 'pushing',
  download: 'pulling',
  copy: 'copying',
};

/** The rate is the bytes moved over the last few seconds, once at least this much time has passed. */
const WINDOW_MS = 4000;
const MIN_SPAN_MS = 500;

interface Sample {
  at: number;
  bytes: number;
}

/** Bytes per second over the recent window, or undefined while too little time has passed to say. */
export class RateMeter {
  private samples: Sample[] = [];
  private first: Sample | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  reset(): void {
    this.samples = [];
    this.first = undefined;
  }

  add(bytes: number): void {
    const at = this.now();
    const sample = { at, bytes };
    this.first ??= sample;
    this.samples.push(sample);
    while (this.samples.length > 2 && at - this.samples[1]!.at >= WINDOW_MS) this.samples.shift();
  }

  /** Over the window while running; over the whole transfer once `done`. */
  rate(done = false): number | undefined {
    const last = this.samples[this.samples.length - 1];
    const from = done ? this.first : this.samples[0];
    if (!last || !from) return undefined;
    const span = last.at - from.at;
    if (span < MIN_SPAN_MS) return undefined;
    return (last.bytes - from.bytes) / (span / 1000);
  }
}

export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export interface BarFields {
  verb: string;
  label: string;
  transferred: number;
  total: number;
  rate: number | undefined;
  done: boolean;
}

/**
 * One bar line, at most `width` columns: `pushing layer 3f2a… [=====     ]  48% 512 MiB/1.00 GiB
 * 210 MiB/s 3s`. When narrow, the sizes go first, then the label shrinks; rate and ETA stay.
 */
export function barLine(f: BarFields, width: number): string {
  const ratio = f.total > 0 ? Math.min(f.transferred / f.total, 1) : f.done ? 1 : 0;
  const pct = `${Math.floor(ratio * 100)}%`.padStart(4);
  const rate = f.rate === undefined ? '--' : `${formatBytes(Math.round(f.rate))}/s`;
  const eta = f.done ? 'done' : formatEta(f.rate ? (f.total - f.transferred) / f.rate : undefined);
  const sizes = `${formatBytes(f.transferred)}/${formatBytes(f.total)}`;
  const verb = f.verb.padEnd(8);
  const draw = (label: string, withSizes: boolean, barWidth: number) => {
    const filled = Math.round(ratio * barWidth);
    const bar = '='.repeat(filled) + ' '.repeat(barWidth - filled);
    return `${verb} ${label} [${bar}] ${pct}${withSizes ? ` ${sizes}` : ''} ${rate} ${eta}`;
  };
  const fixed = (label: string, withSizes: boolean) => draw(label, withSizes, 0).length;
  const room = width - 1; // the last column stays free, so no terminal wraps the line
  for (const withSizes of [true, false]) {
    const bar = room - fixed(f.label, withSizes);
    if (bar >= 10) return draw(f.label, withSizes, Math.min(bar, 30));
  }
  // Too narrow for a bar: the label shrinks, then the bar goes; rate and ETA stay to the end.
  const labelWidth = room - fixed('', false) - 10;
  if (labelWidth >= 8) return draw(elide(f.label, labelWidth), false, 10);
  const bare = `${verb} ${pct} ${rate} ${eta}`;
  const line = `${verb} ${elide(f.label, Math.max(room - bare.length - 1, 1))} ${pct} ${rate} ${eta}`;
  return line.length <= room ? line : line.slice(line.length - room);
}

interface BarState {
  bar: SingleBar;
  meter: RateMeter;
  fields: BarFields;
}

export function progressRenderer(ctx: CliContext): ProgressRenderer {
  const stream = ctx.terminal;
  if (ctx.quiet || !stream.isTTY) return { pause: () => {}, stop: () => {} };
  const width = () => stream.columns || 80;
  const newMultiBar = () =>
    new MultiBar({
      // cli-progress uses only write, isTTY and columns of it (readline's cursor moves are writes).
      stream: stream as NodeJS.WritableStream,
      // The whole line is ours: it fits the width, so the terminal's wrapping can stay on.
      format: (_options: Options, _params: Params, payload: { line?: string }) => payload.line ?? '',
      linewrap: true,
      hideCursor: true,
      clearOnComplete: true,
      stopOnComplete: false,
      gracefulExit: false,
      fps: 8,
    });
  let multi: MultiBar | undefined;
  const bars = new Map<string, BarState>();
  let stopped = false;
  const pause = () => {
    multi?.stop();
    multi = undefined;
    bars.clear();
  };

  const report = (p: ProgressReport) => {
    if (stopped) return;
    const key = `${p.verb}:${p.label}`;
    let state = bars.get(key);
    const total = p.total ?? p.transferred;
    const created = !state;
    if (!state) {
      const fields = {
        verb: p.verb,
        label: escapeText(p.label),
        transferred: 0,
        total,
        rate: undefined,
        done: false,
      };
      multi ??= newMultiBar();
      state = { bar: multi.create(total, 0, { line: '' }), meter: new RateMeter(), fields };
      bars.set(key, state);
    }
    if (p.restarted) state.meter.reset();
    state.meter.add(p.transferred);
    Object.assign(state.fields, {
      transferred: p.transferred,
      total,
      done: Boolean(p.done),
      rate: state.meter.rate(Boolean(p.done)),
    });
    state.bar.setTotal(total);
    state.bar.update(p.transferred, { line: barLine(state.fields, width()) });
    // A new bar is drawn at once; after that the timer redraws at 8 fps.
    if (created) multi?.update();
  };

  return {
    report,
    onProgress: (p) =>
      report({
        verb: p.skipped ? (p.skipped === 'exists' ? 'exists' : 'mounted') : VERB[p.phase],
        label: p.label,
        transferred: p.transferred,
        ...(p.total !== undefined ? { total: p.total } : {}),
        ...(p.done ? { done: true } : {}),
        ...(p.resumedAt !== undefined ? { restarted: true } : {}),
      }),
    pause,
    stop: () => {
      if (stopped) return;
      stopped = true;
      pause();
    },
  };
}

/**
 * Runs `work` with bars on a terminal and returns its result only after every bar has stopped and
 * been cleared, so that what the command prints next is whole and last on the screen.
 */
export async function withProgress<T>(
  ctx: CliContext,
  work: (progress: ProgressRenderer) => Promise<T>,
): Promise<T> {
  const progress = progressRenderer(ctx);
  try {
    return await work(progress);
  } finally {
    progress.stop();
  }
}
