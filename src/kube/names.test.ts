import { describe, expect, it } from 'vitest';
import { checkPodName, derivedPodName, isPodName, labelValue, serviceNameFor } from './names.js';

const long = (n: number, c = 'a') => c.repeat(n);

describe('names', () => {
  it.each([
    ['web', true],
    ['web-1.shop', true],
    ['Web', false],
    ['-web', false],
    ['web_1', false],
    [long(253), true],
    [long(254), false],
  ])('%s is a pod name: %s', (name, valid) => {
    expect(isPodName(name)).toBe(valid);
  });

  it('rejects an invalid --name before any work, saying why', () => {
    expect(() => checkPodName('Shop_1')).toThrow('--name Shop_1: not a valid pod name (lower-case letters');
    expect(() => checkPodName(long(300))).toThrow('300 characters, at most 253 allowed');
  });

  it('shortens a derived pod name with a hash, keeping distinct inputs distinct', () => {
    const a = derivedPodName(long(200, 'p'), long(100, 'n') + '.a');
    const b = derivedPodName(long(200, 'p'), long(100, 'n') + '.b');
    expect(a).toHaveLength(253);
    expect(isPodName(a)).toBe(true);
    expect(a).not.toBe(b);
    expect(derivedPodName('web', 'node-2')).toBe('web-node-2');
  });

  it.each([
    ['shop-7d4f9', 'shop-7d4f9'],
    [long(64), /^a{54}-[0-9a-f]{8}$/],
    ['web.example', 'web.example'],
  ])('makes %s a label value', (value, expected) => {
    const got = labelValue(value);
    if (typeof expected === 'string') expect(got).toBe(expected);
    else expect(got).toMatch(expected);
    expect(got.length).toBeLessThanOrEqual(63);
  });

  it.each([
    ['web', 'web'],
    ['web.shop', 'web-shop'],
    ['1web', 's-1web'],
    [long(70), /^a{54}-[0-9a-f]{8}$/],
  ])('makes a Service name (DNS-1035) of pod %s', (pod, expected) => {
    const got = serviceNameFor(pod);
    if (typeof expected === 'string') expect(got).toBe(expected);
    else expect(got).toMatch(expected);
    expect(got).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])?$/);
    expect(got.length).toBeLessThanOrEqual(63);
  });
});
