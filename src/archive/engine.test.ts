import { describe, expect, it } from 'vitest';
import { allFixtures, fixture } from '../testing/fixtures.js';
import { CheckpointArchive } from './archive.js';
import { readMetadata } from './engine.js';

const kubernetes = allFixtures().filter((c) => c.expected);

describe('engine detection', () => {
  it.each(kubernetes.map((c) => [c.archive, c.expected!] as const))(
    'derives engine, pod, namespace, container and image of %s from its own fields',
    async (archive, expected) => {
      const a = await CheckpointArchive.open(fixture(archive));
      try {
        const { info } = await readMetadata(a);
        expect({
          engine: info.engine,
          pod: info.pod,
          namespace: info.namespace,
          container: info.container,
          image: info.image,
        }).toEqual(expected);
        expect(info.runtime).toBe('runc');
        expect(info.checkpointedAt).toMatch(/^2026-11-28T16:0\d:\d\d/);
      } finally {
        await a.close();
      }
    },
  );

  it.each([
    ['podman/nginx-webserver-1.tar', 'webserver', 'localhost/nginx:latest', '10.88.0.23'],
    ['podman/cthreads-server.tar', 'cthreads', 'localhost/cthreads:latest', '10.88.0.28'],
    ['podman/busybox-counter.tar.zst', 'counter', 'localhost/busybox:latest', '10.88.0.16'],
  ])(
    'reads Podman exports (%s): libpod config.dump and network.status',
    async (archive, container, image, ip) => {
      const a = await CheckpointArchive.open(fixture(archive));
      try {
        const { info } = await readMetadata(a);
        expect(info).toMatchObject({ engine: 'podman', container, image, ip, runtime: 'runc' });
        expect(info.pod).toBeUndefined();
      } finally {
        await a.close();
      }
    },
  );
});
