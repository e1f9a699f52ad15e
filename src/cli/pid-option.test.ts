import { describe, expect, it } from 'vitest';
import { KcrError } from '../errors.js';
import { onlyProcess } from './pid-option.js';

describe('onlyProcess', () => {
  it('takes the one process without --pid', () => {
    expect(onlyProcess('a.tar', [{ pid: 7, comm: 'web' }])).toBe(7);
  });

  it('with many, names the first few in one short hint and counts the rest', () => {
    const processes = Array.from({ length: 11 }, (_v, i) => ({ pid: i + 1, comm: `worker-${i + 1}` }));
    let error: unknown;
    try {
      onlyProcess('a.tar', processes);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KcrError);
    expect((error as KcrError).message).toBe('a.tar: has 11 processes, say which with --pid');
    expect((error as KcrError).hint).toBe(
      'the processes: 1 (worker-1), 2 (worker-2), 3 (worker-3), 4 (worker-4), … 7 more',
    );
  });
});
