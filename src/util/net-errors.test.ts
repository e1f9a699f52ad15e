import { describe, expect, it } from 'vitest';
import { errorCodes, hasErrorCode, isConnectionDropped, isTlsVerificationError } from './net-errors.js';

const coded = (code: string, cause?: unknown) =>
  Object.assign(new Error(code.toLowerCase(), { cause }), { code });

describe('errorCodes', () => {
  it('finds the codes down the cause chain, outermost first', () => {
    expect(errorCodes(coded('UND_ERR_SOCKET', coded('ECONNRESET')))).toEqual([
      'UND_ERR_SOCKET',
      'ECONNRESET',
    ]);
  });

  it('looks into the errors of an AggregateError (happy-eyeballs connects)', () => {
    const err = new AggregateError([coded('ECONNREFUSED'), coded('EHOSTUNREACH')], 'connect failed');
    expect(errorCodes(err)).toEqual(['ECONNREFUSED', 'EHOSTUNREACH']);
  });

  it('ignores causes that are not objects, and stops at the depth limit', () => {
    expect(errorCodes(new Error('plain', { cause: 'a string' }))).toEqual([]);
    let deep: unknown = coded('EDEEP');
    for (let i = 0; i < 10; i++) deep = new Error('wrap', { cause: deep });
    expect(errorCodes(deep)).toEqual([]);
  });
});

describe('classification', () => {
  it.each([
    ['SELF_SIGNED_CERT_IN_CHAIN', true],
    ['ERR_TLS_CERT_ALTNAME_INVALID', true],
    ['CERT_HAS_EXPIRED', true],
    ['ECONNRESET', false],
  ])('%s is a TLS verification failure: %s', (code, expected) => {
    expect(isTlsVerificationError(code)).toBe(expected);
  });

  it('sees a dropped connection under a wrapper error', () => {
    expect(
      hasErrorCode(new Error('fetch failed', { cause: coded('UND_ERR_SOCKET') }), isConnectionDropped),
    ).toBe(true);
    expect(hasErrorCode(coded('ENOTFOUND'), isConnectionDropped)).toBe(false);
  });
});
