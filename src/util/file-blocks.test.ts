import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileBlocks } from './file-blocks.js';

const dir = mkdtempSync(join(tmpdir(), 'kcr-file-blocks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fileBlocks', () => {
  const data = Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 7) % 256));
  const path = join(dir, 'data');
  writeFileSync(path, data);

  it.each([1, 4096, 9_999, 10_000, 65_536])(
    'gives the whole file, in order, in blocks of %i',
    async (size) => {
      const file = await open(path, 'r');
      try {
        const parts: Buffer[] = [];
        // Each block is a view of a reused buffer: copied here, as a caller keeping it must.
        for await (const block of fileBlocks(file, size)) parts.push(Buffer.from(block));
        expect(Buffer.concat(parts)).toEqual(data);
        expect(parts.length).toBe(Math.ceil(data.length / size));
      } finally {
        await file.close();
      }
    },
  );

  it('leaves no read in flight when the caller stops early, so the file closes cleanly', async () => {
    const file = await open(path, 'r');
    for await (const block of fileBlocks(file, 1000)) {
      expect(block).toEqual(data.subarray(0, 1000));
      break;
    }
    await expect(file.close()).resolves.toBeUndefined();
  });
});
