import { describe, expect, it } from 'vitest';
import { elide } from './output/elide.js';
import { barLine, formatEta, RateMeter } from './progress.js';

describe('RateMeter', () => {
  it('says nothing until half a second has passed, so an instant copy has no absurd rate', () => {
    let now = 1000;
    const meter = new RateMeter(() => now);
    meter.add(0);
    now += 1;
    meter.add(500 * 1024 ** 3);
    expect(meter.rate()).toBeUndefined();
    expect(meter.rate(true)).toBeUndefined();
  });

  it('measures the recent window while running and the whole transfer when done', () => {
    let now = 0;
    const meter = new RateMeter(() => now);
    for (let s = 0; s <= 10; s++) {
      now = s * 1000;
      meter.add(s < 5 ? s * 100 : 500 + (s - 5) * 10); // fast at first, then slow
    }
    expect(meter.rate()).toBe(10);
    expect(meter.rate(true)).toBe(55);
  });
});

describe('barLine', () => {
  const fields = {
    verb: 'pushing',
    label: 'layer 3f2a9c1b7d0e',
    transferred: 512 * 1024 ** 2,
    total: 1024 ** 3,
    rate: 200 * 1024 ** 2,
    done: false,
  };

  it.each([30, 40, 60, 80, 120, 200])('fits %i columns and keeps the rate and ETA', (width) => {
    const line = barLine(fields, width);
    expect(line.length).toBeLessThan(width);
    expect(line).toContain('200 MiB/s');
    expect(line.endsWith(' 3s')).toBe(true);
  });

  it('shows sizes when there is room, and the percentage always', () => {
    expect(barLine(fields, 120)).toMatch(/\[=+ +\] {2}50% 512 MiB\/1.00 GiB 200 MiB\/s 3s$/);
    expect(barLine({ ...fields, label: 'x'.repeat(70) }, 80)).toContain(' 50% ');
  });

  it('shows -- for an unknown rate and ETA', () => {
    expect(barLine({ ...fields, rate: undefined }, 100)).toMatch(/ -- --$/);
  });
});

it('elides in the middle, keeping head and tail', () => {
  expect(elide('/var/lib/containers/storage/overlay/abc/merged', 20)).toBe('/var/lib/c…bc/merged');
  expect(elide('short', 20)).toBe('short');
  expect(formatEta(3725)).toBe('1h02m');
});
