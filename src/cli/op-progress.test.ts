import { afterEach, describe, expect, it, vi } from 'vitest';
import { StatusLine } from './op-progress.js';

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
