/**
 * Progress bars for transfers (bytes, rate, ETA), drawn on stderr only when it is a terminal and
 * -q was not given; in pipes and CI logs the library's callbacks are simply dropped.
 */
import { MultiBar, type SingleBar } from 'cli-progress';
import type { TransferProgress } from '../oci/index.js';
import { formatBytes } from '../util/units.js';
import type { CliContext } from './context.js';

export interface ProgressRenderer {
  onProgress?: (p: TransferProgress) => void;
  stop(): void;
}

const VERB: Record<TransferProgress['phase'], string> = {
  digest: 'hashing',
  compress: 'compressing',
  encrypt: 'encrypting',
  upload: 'pushing',
  download: 'pulling',
  copy: 'copying',
};

function eta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export function progressRenderer(ctx: CliContext): ProgressRenderer {
  const stream = ctx.io.stderr;
  if (ctx.quiet || !stream.isTTY) return { stop: () => {} };
  const multi = new MultiBar({
    stream: stream as unknown as NodeJS.WritableStream,
    format: '{verb} {label} [{bar}] {done}/{all} {rate}/s ETA {remaining}',
    barsize: 24,
    hideCursor: true,
    clearOnComplete: false,
    stopOnComplete: false,
    fps: 8,
    barCompleteChar: '=',
    barIncompleteChar: ' ',
  });
  const bars = new Map<string, { bar: SingleBar; started: number }>();
  return {
    onProgress: (p) => {
      const key = `${p.phase}:${p.label}`;
      let entry = bars.get(key);
      const total = p.total ?? p.transferred;
      if (!entry) {
        entry = { bar: multi.create(total, 0), started: Date.now() };
        bars.set(key, entry);
      }
      if (p.resumedAt !== undefined) entry.started = Date.now();
      const seconds = Math.max((Date.now() - entry.started) / 1000, 0.001);
      const rate = p.transferred / seconds;
      const verb = p.skipped ? (p.skipped === 'exists' ? 'exists ' : 'mounted') : VERB[p.phase];
      entry.bar.setTotal(total);
      entry.bar.update(p.transferred, {
        verb,
        label: p.label,
        done: formatBytes(p.transferred),
        all: formatBytes(total),
        rate: formatBytes(Math.round(rate)),
        remaining: p.done ? '0s' : eta((total - p.transferred) / rate),
      });
    },
    stop: () => multi.stop(),
  };
}
