/**
 * Byte progress bars on stderr (cli-progress), one per transfer. Only on a terminal and without
 * -q: in pipes and logs the bars would be noise, so the view is then a no-op.
 */
import cliProgress from 'cli-progress';
import { formatBytes } from '../../util/units.js';
import type { CliContext } from '../context.js';

export interface ProgressView {
  update(key: string, label: string, bytes: number, total: number): void;
  done(key: string): void;
  stop(): void;
}

const silent: ProgressView = { update: () => undefined, done: () => undefined, stop: () => undefined };

export function progressView(ctx: CliContext): ProgressView {
  if (ctx.quiet || !ctx.io.stderr.isTTY) return silent;
  const multi = new cliProgress.MultiBar(
    {
      stream: ctx.io.stderr as unknown as NodeJS.WritableStream,
      format: ' {label} |{bar}| {percentage}% {done}/{size}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  return {
    update(key, label, bytes, total) {
      let bar = bars.get(key);
      if (!bar) {
        bar = multi.create(Math.max(total, 1), 0, { label, done: formatBytes(0), size: formatBytes(total) });
        bars.set(key, bar);
      }
      bar.setTotal(Math.max(total, bytes, 1));
      bar.update(bytes, { label, done: formatBytes(bytes), size: formatBytes(total) });
    },
    done(key) {
      bars.get(key)?.stop();
    },
    stop() {
      multi.stop();
    },
  };
}
