import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allFixtures, fixture } from '../testing/fixtures.js';
import { CheckpointArchive } from './archive.js';
import { parseCrioSandboxName, readMetadata } from './engine.js';
import { parseKubeletArchiveName } from './kubelet-name.js';

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
        // The kubelet names the file after the checkpoint time, to the second.
        const named = parseKubeletArchiveName(basename(archive))!.time.toISOString().slice(0, 19);
        expect(info.checkpointedAt!.slice(0, 19)).toBe(named);
      } finally {
        await a.close();
      }
    },
  );

  it.each([
    ['crio-real/checkpoint-toolbox_forensics-toolbox-2026-12-02T00:49:14Z.tar', 'annotations'],
    ['crio-real/checkpoint-counter_default-counter-2026-12-02T00:52:29Z.tar', 'sandbox-name'],
  ])('says where the pod of a real CRI-O archive came from (%s: %s)', async (archive, source) => {
    const a = await CheckpointArchive.open(fixture(archive));
    try {
      expect((await readMetadata(a)).info.podSource).toBe(source);
    } finally {
      await a.close();
    }
  });

  it('splits CRI-O sandbox and container names, and refuses names of another shape', () => {
    const uid = '8095389c-472f-4d4d-97d5-0a3724e1f4ad';
    expect(parseCrioSandboxName(`k8s_counter_default_${uid}_1`)).toEqual({
      pod: 'counter',
      namespace: 'default',
      podUid: uid,
    });
    expect(parseCrioSandboxName(undefined, `k8s_ctr_web-1_shop_${uid}_0`)).toEqual({
      pod: 'web-1',
      namespace: 'shop',
      podUid: uid,
    });
    expect(parseCrioSandboxName('counter', 'k8s_only_three_0')).toBeUndefined();
  });

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
