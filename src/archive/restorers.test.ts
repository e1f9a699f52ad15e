import { describe, expect, it } from 'vitest';
import { allFixtures, fixture } from '../testing/fixtures.js';
import { CheckpointArchive } from './archive.js';
import { readMetadata } from './engine.js';
import { restoreFit, restorersOf } from './restorers.js';

describe('which runtime can restore an archive', () => {
  it.each(allFixtures().map((c) => [c.archive] as const))(
    '%s restores only on the runtime that wrote it (Podman exports on neither)',
    async (archive) => {
      const a = await CheckpointArchive.open(fixture(archive));
      try {
        const metadata = await readMetadata(a);
        const fit = restoreFit(a, metadata);
        const engine = metadata.info.engine;
        expect(restorersOf(fit)).toEqual(engine === 'podman' ? [] : [engine]);
        if (engine !== 'containerd')
          expect(fit.containerd).toContain('there is no status.dump, which only containerd writes');
        if (engine !== 'cri-o')
          expect(fit['cri-o']).toContain(
            'spec.dump has no io.kubernetes.cri-o.Annotations, which only CRI-O writes',
          );
      } finally {
        await a.close();
      }
    },
  );
});
