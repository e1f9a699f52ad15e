import { describe, expect, it } from 'vitest';
import { timeoutSeconds } from './options.js';

describe('--timeout, as kubectl takes it', () => {
  it.each([
    ['90', 90],
    ['90s', 90],
    ['2m', 120],
    ['1h30m', 5400],
  ])('%s is %i seconds', (text, seconds) => {
    expect(timeoutSeconds('--timeout')(text)).toBe(seconds);
  });

  it.each(['0', '0s', '1.5', 'soon', '500ms'])('%s is refused', (text) => {
    expect(() => timeoutSeconds('--timeout')(text)).toThrow(/--timeout takes a duration/);
  });
});
