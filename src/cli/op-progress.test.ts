import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runInTerminal } from '../testing/terminal.js';
import type { CliContext } from './context.js';
import { opProgress, StatusLine } from './op-progress.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('the status line of a long operation', () => {
  it('is cut to the terminal width, so that rewriting it leaves nothing behind', () => {
    vi.useFakeTimers();
    const writes: string[] = [];
    const line = new StatusLine(
      (s) => writes.push(s),
      () => 80,
    );
    const text =
      'checkpointing default/web-7d9f8c6b5-x2x8k/sidecar-logger-long-name on node-1: waiting for the kubelet';
    line.show(text);
    vi.advanceTimersByTime(12_000);
    line.clear();
    const drawn = writes.filter((w) => w.startsWith('\r\x1b[K') && w.length > 4).map((w) => w.slice(4));
    expect(drawn.length).toBeGreaterThan(1);
    for (const d of drawn) expect(d.length).toBeLessThanOrEqual(79);
    expect(drawn[0]).toMatch(/^checkpointing default\/web-.*….*the kubelet$/);
    expect(drawn.at(-1)).toMatch(/the kubelet \(12s\)$/);
    // A short line is drawn whole.
    writes.length = 0;
    line.show('checkpointing a/b/c on n: waiting for the kubelet');
    line.clear();
    expect(writes[0]).toBe('\r\x1b[Kcheckpointing a/b/c on n: waiting for the kubelet');
  });
});

describe('bars and step lines of one operation, on a real terminal', () => {
  it('clear the finished phase before a step line, so no bar stays behind and no line is glued to one', async () => {
    const written: string[] = [];
    const tty = { isTTY: true, columns: 80, write: (s: string | Uint8Array) => written.push(String(s)) };
    const ctx: CliContext = {
      io: { stdout: tty, stderr: tty, stdin: process.stdin, env: {}, cwd: process.cwd() },
      terminal: tty,
      exitCode: 0,
      debug: false,
      quiet: false,
      signal: new AbortController().signal,
      archive: {},
    };
    const progress = opProgress(ctx);
    const pulled = (transferred: number) =>
      progress.onEvent({
        type: 'transfer',
        progress: {
          phase: 'download',
          label: 'backup 20261206t093238z',
          transferred,
          total: 100,
          done: transferred === 100,
        },
      });
    pulled(40);
    await new Promise((r) => setTimeout(r, 300)); // the bars' timer redraws
    pulled(100);
    progress.onEvent({ type: 'publishing', reference: '127.0.0.1:5000/restores:web-1' });
    progress.onEvent({
      type: 'transfer',
      progress: { phase: 'upload', label: 'layer 5b1af8cfe098', transferred: 100, total: 100, done: true },
    });
    await new Promise((r) => setTimeout(r, 300));
    progress.stop();
    tty.write('result\n');

    const bytes = join(tmpdir(), `kcr-op-progress-${process.pid}.bin`);
    writeFileSync(bytes, written.join(''));
    try {
      // Not from the top row: tmux keeps a screen cleared from its top-left corner in its scrollback.
      const screen = await runInTerminal(['sh', '-c', `echo before; cat ${bytes}`], { columns: 80 });
      expect(screen.joined).toEqual([
        'before',
        'pushing the checkpoint image to 127.0.0.1:5000/restores:web-1',
        'result',
      ]);
    } finally {
      rmSync(bytes, { force: true });
    }
  });
});
