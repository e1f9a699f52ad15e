/**
 * The process tree of a crafted pstree.img: 100k siblings, a 100k-deep chain and parent cycles are
 * drawn whole, without overflowing the stack and in linear time (the hostile-input suite's 100k
 * inputs have no core images, so it is here that their tree is drawn).
 */
import { describe, expect, it } from 'vitest';
import type { InspectedProcess } from '../../forensics/inspect.js';
import { processTreeText } from './inspect-printer.js';

const proc = (pid: number, ppid: number): InspectedProcess => ({
  pid,
  ppid,
  pgid: 1,
  sid: 1,
  comm: `p${pid}`,
  state: 'sleeping',
  threads: [{ tid: pid, comm: `p${pid}` }],
});

describe('processTreeText on a hostile pstree', () => {
  it('draws 100k siblings, one line each, under their parent', () => {
    const text = processTreeText([proc(1, 0), ...Array.from({ length: 100_000 }, (_, i) => proc(i + 2, 1))]);
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(100_001);
    expect(lines[0]).toBe('└── [1] p1  (sleeping)');
    expect(lines[1]).toBe('    ├── [2] p2  (sleeping)');
    expect(lines.at(-1)).toBe('    └── [100001] p100001  (sleeping)');
  });

  it('draws a 100k-deep chain, marking levels past the drawn depth with theirs', () => {
    const text = processTreeText(Array.from({ length: 100_000 }, (_, i) => proc(i + 1, i)));
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(100_000);
    expect(lines.at(-1)).toMatch(/^ {4}.* └── \(depth 99999\) \[100000\] p100000 {2}\(sleeping\)$/);
    // The indent stops growing at the drawn depth: no 400 KB line.
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThan(400);
  });

  it('shows processes in a parent cycle under a warning, with their parents', () => {
    const text = processTreeText([proc(1, 0), proc(36, 38), proc(37, 36), proc(38, 37)]);
    expect(text).toContain('warning: 3 processes in a parent cycle (36 → 37 → 38 → 36)');
    for (const [pid, parent] of [
      [36, 38],
      [37, 36],
      [38, 37],
    ])
      expect(text).toContain(`[${pid}] p${pid}  (sleeping)  parent ${parent}`);
  });

  it('shows a repeated PID once in the tree and again under a warning', () => {
    const text = processTreeText([proc(1, 0), proc(2, 1), proc(2, 1)]);
    expect(text.match(/\[2\] p2/g)).toHaveLength(2);
    expect(text).toContain('warning: 1 repeated PIDs in pstree.img; the first of each is shown above');
  });
});
