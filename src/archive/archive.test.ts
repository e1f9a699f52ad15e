/** CheckpointArchive's reads: what they return, and what they cost the event loop. */
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { fixture } from '../testing/fixtures.js';
import { CheckpointArchive } from './archive.js';

const REAL = fixture('crio-real', 'checkpoint-counter_default-counter-2026-12-02T00:52:29Z.tar');

/** Whether the event loop took a turn (as a thread-pool round trip makes it) while `work` ran. */
async function loopTurnedDuring(work: () => Promise<unknown>): Promise<boolean> {
  let turned = false;
  const immediate = setImmediate(() => (turned = true));
  await work();
  clearImmediate(immediate);
  return turned;
}

describe('reading members', () => {
  it('reads small members without a round trip through the thread pool, and reads them right', async () => {
    // A command reads dozens of CRIU images before its first result; a round trip costs 0.1-1 ms.
    const archive = await CheckpointArchive.open(REAL);
    try {
      for (const name of ['checkpoint/inventory.img', 'checkpoint/pages-1.img', 'config.dump']) {
        let bytes: Buffer | undefined;
        expect(await loopTurnedDuring(async () => (bytes = await archive.read(name)))).toBe(false);
        // The same bytes as a stream of the file (createReadStream: another path to them).
        expect(bytes).toEqual(await buffer(archive.stream(name)));
        expect(bytes!.length).toBe(archive.member(name)!.size);
      }
      const part = Buffer.alloc(100);
      expect(await archive.readInto('checkpoint/pages-1.img', 4096, part, 0, 100)).toBe(100);
      expect(part).toEqual((await archive.read('checkpoint/pages-1.img')).subarray(4096, 4196));
    } finally {
      await archive.close();
    }
  });
});
