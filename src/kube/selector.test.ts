import { describe, expect, it } from 'vitest';
import { matchesSelector, parseSelector } from './selector.js';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', env: 'prod' };
  it.each([
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app=web,tier=back', false],
    ['env in (prod, staging)', true],
    ['env notin (prod)', false],
    ['tier', true],
    ['!legacy', true],
    ['!tier', false],
    ['missing!=x', true],
    ['app=web,env in (dev,prod),!legacy', true],
  ])('%s → %s', (selector, expected) => {
    expect(matchesSelector(labels, parseSelector(selector))).toBe(expected);
  });

  it('rejects what it cannot parse, naming the part', () => {
    expect(() => parseSelector('app=web,=x')).toThrow('-l app=web,=x: cannot parse "=x"');
  });
});
