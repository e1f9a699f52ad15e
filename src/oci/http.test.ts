import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAgent, transportError } from './http.js';

const coded = (message: string, props: Record<string, unknown>, cause?: unknown) =>
  Object.assign(new Error(message, cause === undefined ? undefined : { cause }), props);

describe('transportError', () => {
  it.each([
    [
      'a dropped connection',
      coded('other side closed', { code: 'UND_ERR_SOCKET' }),
      { code: 'network', message: 'r.example: connection lost (other side closed)' },
    ],
    [
      'a reset under a wrapper',
      coded('fetch failed', {}, coded('read ECONNRESET', { code: 'ECONNRESET', syscall: 'read' })),
      { code: 'network', message: 'r.example: connection lost (fetch failed)' },
    ],
    [
      'a registry that stops sending',
      coded('Body Timeout Error', { code: 'UND_ERR_BODY_TIMEOUT' }),
      { code: 'timeout', message: 'r.example: the registry stopped answering (body timeout error)' },
    ],
    [
      'an unknown host, one cause down',
      coded('fetch failed', {}, coded('getaddrinfo ENOTFOUND r.example', { code: 'ENOTFOUND' })),
      { code: 'network', message: 'r.example: unknown host' },
    ],
    [
      'a request body file that cannot be opened',
      coded("ENOENT: no such file or directory, open '/layout/blobs/sha256/ab'", {
        code: 'ENOENT',
        syscall: 'open',
        path: '/layout/blobs/sha256/ab',
      }),
      { code: 'not-found', message: '/layout/blobs/sha256/ab: no such file or directory' },
    ],
  ])('reports %s', (_what, err, expected) => {
    expect(transportError('r.example', err)).toMatchObject(expected);
  });

  it('reports any failure after an abort as cancelled', () => {
    const controller = new AbortController();
    controller.abort();
    expect(transportError('r.example', new Error('aborted'), controller.signal)).toMatchObject({
      code: 'cancelled',
    });
  });
});

describe('createAgent', () => {
  it('refuses a --ca-file without a PEM certificate instead of trusting nothing from it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kcr-ca-test-'));
    try {
      const file = join(dir, 'ca.der');
      await writeFile(file, 'not a certificate');
      expect(() => createAgent({ caFile: file })).toThrow(
        expect.objectContaining({ code: 'invalid-input', message: `${file}: no PEM certificate in it` }),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
