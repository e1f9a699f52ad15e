/**
 * What the operations (checkpoint, restore, migrate) show on stderr while they work, drawn from
 * their events (ops/events.ts): a status line while the kubelet checkpoints (a checkpoint can
 * take minutes and prints nothing until it is done), progress bars for copies, pushes and pulls,
 * warnings, and one line per restore step. Bars and the status line appear only on a terminal
 * without -q; warnings always, step lines unless -q.
 */
import type { CheckpointTarget, OpEvent } from '../ops/index.js';
import type { TransferProgress } from '../oci/index.js';
import type { CliContext } from './context.js';
import { progressRenderer } from './progress.js';
import { elide } from './output/elide.js';
import { escapeText } from './output/escape.js';

export interface OpProgress {
  onEvent(e: OpEvent): void;
  stop(): void;
}

function label(t: CheckpointTarget): string {
  return `${t.namespace}/${t.pod}/${t.container}`;
}

/**
 * One line, rewritten in place, until the bars take over the terminal. It is cut to the width:
 * a line the terminal wraps cannot be rewritten by `\r`, and its first row would stay behind.
 */
export class StatusLine {
  private text = '';
  private timer: NodeJS.Timeout | undefined;
  private since = 0;
  constructor(
    private readonly write: (s: string) => void,
    private readonly columns: () => number = () => 80,
  ) {}

  show(text: string): void {
    if (escapeText(text) !== this.text) this.since = Date.now();
    this.text = escapeText(text);
    this.draw();
    // The elapsed time says the wait is alive; unref'd, so it never keeps kcr running.
    this.timer ??= setInterval(() => this.draw(), 1000).unref();
  }

  clear(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.text) this.write('\r\x1b[K');
    this.text = '';
  }

  private draw(): void {
    const seconds = Math.floor((Date.now() - this.since) / 1000);
    const elapsed = seconds > 0 ? ` (${seconds}s)` : '';
    // The last column stays free, as for the bars, so that no terminal wraps the line.
    const room = Math.max(this.columns() - 1 - elapsed.length, 8);
    this.write(`\r\x1b[K${elide(this.text, room)}${elapsed}`);
  }
}

export function opProgress(ctx: CliContext): OpProgress {
  const bars = progressRenderer(ctx);
  const terminal = !ctx.quiet && Boolean(ctx.terminal.isTTY);
  const status = terminal
    ? new StatusLine(
        (s) => void ctx.terminal.write(s),
        () => ctx.terminal.columns || 80,
      )
    : undefined;
  const checkpointing = new Map<string, CheckpointTarget>();
  let done = 0;
  let barsShown = false;

  const onProgress = bars.onProgress
    ? (p: TransferProgress) => {
        if (!barsShown) {
          barsShown = true;
          status?.clear();
        }
        bars.onProgress!(p);
      }
    : undefined;

  const showStatus = () => {
    if (!status || barsShown) return;
    const waiting = [...checkpointing.values()];
    if (waiting.length === 0) return status.clear();
    const one = waiting[0]!;
    status.show(
      waiting.length === 1
        ? `checkpointing ${label(one)} on ${one.node}: waiting for the kubelet`
        : `checkpointing ${waiting.length} containers: waiting for the kubelets, ${done} done`,
    );
  };

  // A message between phases (pulled, now pushing) clears the finished phase's bars first: a line
  // written while bars are drawn lands on a bar's row and the bars redraw over it.
  const interrupt = () => {
    status?.clear();
    bars.pause();
  };

  const step = (line: string) => {
    if (ctx.quiet) return;
    interrupt();
    ctx.io.stderr.write(`${line}\n`);
  };

  const onEvent = (e: OpEvent) => {
    switch (e.type) {
      case 'checkpointing':
        checkpointing.set(label(e.target), e.target);
        return showStatus();
      case 'checkpointed':
      case 'failed':
        checkpointing.delete(label(e.target));
        done++;
        return showStatus();
      case 'transfer':
        return onProgress?.(e.progress);
      case 'copied':
        return onProgress?.({
          phase: 'copy',
          label: label(e.target),
          transferred: e.copy.size,
          total: e.copy.size,
          done: true,
        });
      case 'warning':
        interrupt();
        ctx.io.stderr.write(`warning: ${e.message}\n`);
        return showStatus();
      case 'publishing':
        return step(`pushing the checkpoint image to ${e.reference}`);
      case 'pulling':
        return step(`pulling the checkpoint from ${e.image}`);
      case 'waiting':
        return step(`waiting for pod ${e.namespace}/${e.name} to run`);
      case 'pod-checkpoint':
        return step(`podcheckpoint ${e.namespace}/${e.name}: ${e.reason}`);
      case 'helper-pod':
      case 'published':
      case 'created':
      case 'running':
      case 'deleted':
        return;
    }
  };

  return {
    onEvent,
    stop: () => {
      status?.clear();
      bars.stop();
    },
  };
}
