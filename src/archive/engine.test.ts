import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/archive-builder.js';
import { allFixtures, CONTAINERD_REAL_ARCHIVE, fixture, loadFacts } from '../testing/fixtures.js';
import { CheckpointArchive } from './archive.js';
import { parseCrioSandboxName, readMetadata } from './engine.js';
import { parseKubeletArchiveName } from './kubelet-name.js';

const kubernetes = allFixtures().filter((c) => c.expected);
const tmp = tempDir();
afterAll(() => tmp.cleanup());
const mkdir = (dir: string) => (mkdirSync(dir), dir);

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
        // Every fixture ran under runc: CRI-O names it, containerd names its shim (io.containerd.runc.v2).
        expect(info.ociRuntime).toBe('runc');
        // The kubelet names the file when it asks for the checkpoint (to the second); the runtime
        // records the checkpoint time a moment later (the real containerd archive: 2 s later).
        const named = parseKubeletArchiveName(basename(archive))!.time.getTime();
        const at = Date.parse(info.checkpointedAt!);
        expect(at).toBeGreaterThanOrEqual(named);
        expect(at).toBeLessThan(named + 60_000);
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

  it('reads a real containerd 2.3 archive as containerd wrote it: nanosecond status, CRI status.dump, shim runtime', async () => {
    const facts = loadFacts(`${CONTAINERD_REAL_ARCHIVE}.facts.json`).engine_metadata!;
    const a = await CheckpointArchive.open(fixture(CONTAINERD_REAL_ARCHIVE));
    try {
      const { info } = await readMetadata(a);
      expect(info).toEqual({
        engine: facts.engine,
        container: facts.container,
        pod: facts.pod,
        namespace: facts.namespace,
        podUid: facts.pod_uid,
        containerId: facts.container_id,
        image: facts.image,
        // status.dump's image_id, not config.dump's rootfsImageRef (a repo digest on containerd).
        imageId: facts.image_id,
        imageRef: facts.image_ref,
        runtime: facts.runtime,
        ociRuntime: facts.oci_runtime,
        createdAt: facts.created,
        checkpointedAt: facts.checkpointed,
        restored: false,
      });
    } finally {
      await a.close();
    }
  });

  it('falls back to containerd status times (integer nanoseconds) when config.dump has none', async () => {
    const facts = loadFacts(`${CONTAINERD_REAL_ARCHIVE}.facts.json`).engine_metadata!;
    const dir = tmp.path('status-only');
    execFileSync('tar', ['--force-local', '-xf', fixture(CONTAINERD_REAL_ARCHIVE), '-C', mkdir(dir)]);
    const config = JSON.parse(readFileSync(join(dir, 'config.dump'), 'utf8')) as Record<string, unknown>;
    delete config.createdTime;
    writeFileSync(join(dir, 'config.dump'), JSON.stringify(config));
    const a = await CheckpointArchive.open(dir);
    try {
      const { info } = await readMetadata(a);
      const ns = facts.status_times_ns.CreatedAt;
      expect(info.createdAt).toBe(new Date(Math.floor(ns / 1e6)).toISOString());
      expect(info.createdAt).toBe('2026-12-02T01:03:53.335Z');
    } finally {
      await a.close();
    }
  });
});
