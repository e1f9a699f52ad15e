/**
 * The image commands end to end against a real registry (Debian's docker-registry on 127.0.0.1),
 * checked with the tools restorers use: skopeo and buildah.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile, copyFile, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointArchive } from '../../archive/index.js';
import { ANNOTATIONS } from '../../oci/annotations.js';
import { rewriteArchive } from '../../testing/archive-builder.js';
import { runKcr } from '../../testing/cli.js';
import { CONTAINERD_REAL_ARCHIVE } from '../../testing/fixtures.js';
import { startRegistry, type TestRegistry } from '../../testing/registry.js';
import { startTcpProxy, type TcpProxy } from '../../testing/tcp-proxy.js';
import { tool } from '../../testing/tools.js';

const fixtures = join(import.meta.dirname, '../../../test/fixtures');
const crioTar = join(fixtures, 'crio/checkpoint-webserver_default-webserver-2026-11-28T16:01:40Z.tar');
const podmanTar = join(fixtures, 'podman/busybox-counter.tar');
const podmanZst = join(fixtures, 'podman/busybox-counter.tar.zst');
const containerdTar = join(fixtures, CONTAINERD_REAL_ARCHIVE);

const key = (name: string) => join(fixtures, 'keys', name);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let registry: TestRegistry;
let work: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), 'kcr-image-test-'));
  // The local image store and any auth lookups stay inside the test's directory.
  env = {
    ...process.env,
    HOME: join(work, 'home'),
    KCR_IMAGE_STORE: join(work, 'store'),
    REGISTRY_AUTH_FILE: '',
  };
});

afterAll(async () => {
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

const kcr = (...args: string[]) => runKcr(args, { env });

/** Every regular file of `expected` is in `actual` with the same bytes. */
async function expectSameFiles(actual: string, expected: string): Promise<void> {
  const original = await CheckpointArchive.open(expected);
  const pulled = await CheckpointArchive.open(actual);
  try {
    const files = original.members().filter((m) => m.type === 'file');
    expect(files.length).toBeGreaterThan(10);
    for (const m of files) {
      expect(pulled.has(m.name), m.name).toBe(true);
      expect((await pulled.read(m.name)).equals(await original.read(m.name)), m.name).toBe(true);
    }
  } finally {
    await Promise.all([original.close(), pulled.close()]);
  }
}

describe('kcr image build --push', () => {
  it('pushes an image whose manifest carries every restorer annotation, as skopeo sees it', async () => {
    const ref = `${registry.host}/checkpoints/webserver:v1`;
    const res = await kcr(
      'image',
      'build',
      crioTar,
      '-t',
      ref,
      '--push',
      '--insecure',
      '--source-node',
      'worker-1',
    );
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`pushed ${ref}\n`);
    expect(res.stdout).toMatch(/^digest sha256:[0-9a-f]{64}$/m);
    const raw = JSON.parse(
      await tool('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`]),
    ) as {
      mediaType: string;
      annotations: Record<string, string>;
      layers: { mediaType: string; digest: string }[];
    };
    expect(raw.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(raw.annotations).toMatchObject({
      'io.kubernetes.cri-o.annotations.checkpoint.name': 'webserver',
      'org.criu.checkpoint.container.name': 'webserver',
      'org.criu.checkpoint.pod.name': 'webserver',
      'org.criu.checkpoint.pod.namespace': 'default',
      'org.criu.checkpoint.engine.name': 'CRI-O',
      'org.criu.checkpoint.runtime.name': expect.stringMatching(/^(runc|crun)$/),
      'org.criu.checkpoint.rootfsImageName': expect.any(String),
      'org.criu.checkpoint.rootfsImageID': expect.any(String),
      'io.podman.annotations.checkpoint.name': 'webserver',
      'io.podman.annotations.checkpoint.runtime.name': expect.stringMatching(/^(runc|crun)$/),
      'org.opencontainers.image.created': expect.any(String),
      'io.kcr.checkpoint.archive.sha256': `sha256:${sha256(await readFile(crioTar))}`,
      'io.kcr.checkpoint.source.node': 'worker-1',
    });
    expect(raw.layers).toEqual([
      expect.objectContaining({
        mediaType: 'application/vnd.oci.image.layer.v1.tar',
        digest: `sha256:${sha256(await readFile(crioTar))}`,
      }),
    ]);
  });

  it('draws progress bars (bytes, rate, ETA) on a terminal, clears them before the result, and none with -q', async () => {
    const ref = `${registry.host}/checkpoints/progress:v1`;
    const shown = await runKcr(['image', 'build', crioTar, '-t', ref, '--push', '--insecure'], {
      env,
      tty: true,
    });
    expect(shown.code).toBe(0);
    expect(shown.stderr).toMatch(
      /pushing +layer [0-9a-f]{12} \[=+ *\] +\d+% [\d.]+ [KM]iB\/3\.29 MiB (--|[\d.]+ [KMG]iB\/s) (--|\d+s|done)/,
    );
    // The bars end cleared (cursor back up, erase down), with wrapping never turned off.
    expect(shown.stderr.endsWith('\x1b[0J')).toBe(true);
    expect(shown.stderr).not.toContain('\x1b[?7l');
    // Each redraw starts at column 1 (CSI G): split there too, then drop the other sequences.
    // eslint-disable-next-line no-control-regex
    const lines = shown.stderr.split(/\n|\x1b\[\d*G/).map((l) => l.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ''));
    for (const line of lines) expect(line.length).toBeLessThan(120);
    const quiet = await runKcr(['-q', 'image', 'build', crioTar, '-t', ref, '--push', '--insecure'], {
      env,
      tty: true,
    });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
  });

  it('gives back the archive byte for byte through skopeo copy to an OCI layout', async () => {
    const ref = `${registry.host}/checkpoints/webserver:v1`;
    const dir = join(work, 'skopeo-copy');
    await tool('skopeo', ['copy', '--src-tls-verify=false', `docker://${ref}`, `oci:${dir}:v1`]);
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as {
      manifests: { digest: string }[];
    };
    const manifest = JSON.parse(
      await readFile(join(dir, 'blobs/sha256', index.manifests[0]!.digest.slice(7)), 'utf8'),
    ) as {
      layers: { mediaType: string; digest: string }[];
    };
    const layer = manifest.layers[0]!;
    const blob = await readFile(join(dir, 'blobs/sha256', layer.digest.slice(7)));
    // skopeo may gzip an uncompressed layer on the way (containers/image does by default): extract it either way.
    const tar = layer.mediaType.endsWith('+gzip') ? gunzipSync(blob) : blob;
    expect(tar.equals(await readFile(crioTar))).toBe(true);
  });
});

describe('kcr image pull', () => {
  it('writes back the archive byte for byte, checked against the recorded sha256, mode 0600', async () => {
    const ref = `${registry.host}/checkpoints/counter:plain`;
    expect((await kcr('image', 'build', podmanTar, '-t', ref, '--push', '--insecure')).code).toBe(0);
    const out = join(work, 'pulled.tar');
    const res = await kcr('image', 'pull', ref, '--output-file', out, '--insecure');
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('archive sha256 annotation');
    expect((await readFile(out)).equals(await readFile(podmanTar))).toBe(true);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
  });

  it('takes the archive path as FILE, and streams the archive to stdout with -', async () => {
    const ref = `${registry.host}/checkpoints/counter:plain`;
    const positional = join(work, 'positional.tar');
    const byName = await kcr('image', 'pull', ref, positional, '--insecure', '-o', 'json');
    expect(byName.code, byName.stderr).toBe(0);
    expect(JSON.parse(byName.stdout)).toMatchObject({ output: positional });
    expect((await readFile(positional)).equals(await readFile(podmanTar))).toBe(true);
    const res = await kcr('image', 'pull', ref, '-', '--insecure');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdoutBytes.equals(await readFile(podmanTar))).toBe(true);
    expect(res.stderr).toMatch(/^pulled .* to stdout /);
  });

  it.each(['gzip', 'zstd'])('decompresses a %s layer back to the original tar', async (compression) => {
    const ref = `${registry.host}/checkpoints/counter:${compression}`;
    expect(
      (
        await kcr(
          'image',
          'build',
          podmanTar,
          '-t',
          ref,
          '--push',
          '--insecure',
          '--compression',
          compression,
        )
      ).code,
    ).toBe(0);
    const out = join(work, `pulled-${compression}.tar`);
    expect((await kcr('image', 'pull', ref, '--output-file', out, '--insecure')).code).toBe(0);
    expect((await readFile(out)).equals(await readFile(podmanTar))).toBe(true);
  });

  it('turns a zstd Podman export into an image whose pull is the decompressed archive', async () => {
    const ref = `${registry.host}/checkpoints/counter:from-zst`;
    expect((await kcr('image', 'build', podmanZst, '-t', ref, '--push', '--insecure')).code).toBe(0);
    const out = join(work, 'from-zst.tar');
    expect((await kcr('image', 'pull', ref, '--output-file', out, '--insecure')).code).toBe(0);
    const archive = await CheckpointArchive.open(out);
    try {
      expect(archive.compression).toBe('none');
      expect(archive.has('checkpoint/inventory.img')).toBe(true);
    } finally {
      await archive.close();
    }
  });

  it("gives back the archive's files from an image made the seed's way with buildah bud (gzip layer, CRI-O annotation only), OCI or Docker manifest", async () => {
    const ctx = join(work, 'buildah-ctx');
    await mkdir(ctx, { recursive: true });
    await copyFile(podmanTar, join(ctx, 'archive.tar'));
    await writeFile(join(ctx, 'Dockerfile'), 'FROM scratch\nADD archive.tar .\n');
    const storage = [
      '--root',
      join(work, 'buildah-root'),
      '--runroot',
      join(work, 'buildah-run'),
      '--storage-driver',
      'vfs',
    ];
    await tool('buildah', [
      ...storage,
      'bud',
      '--isolation',
      'chroot',
      '--annotation',
      'io.kubernetes.cri-o.annotations.checkpoint.name=counter',
      '-t',
      'localhost/ckpt:seed',
      ctx,
    ]);
    const ref = `${registry.host}/checkpoints/seed:v1`;
    await tool('buildah', [
      ...storage,
      'push',
      '--tls-verify=false',
      'localhost/ckpt:seed',
      `docker://${ref}`,
    ]);

    const info = await kcr('image', 'inspect', ref, '--insecure', '-o', 'json');
    expect(info.code).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({
      container: 'counter',
      checkpoint: true,
      layers: [{ mediaType: expect.stringMatching(/gzip/) }],
    });

    const out = join(work, 'seed.tar');
    const res = await kcr('image', 'pull', ref, '--output-file', out, '--insecure');
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    await expectSameFiles(out, podmanTar);

    // The same image as a Docker v2 schema 2 manifest (what `buildah push --format v2s2` and Docker write).
    const dockerRef = `${registry.host}/checkpoints/seed:v2s2`;
    await tool('buildah', [
      ...storage,
      'push',
      '--format',
      'v2s2',
      '--tls-verify=false',
      'localhost/ckpt:seed',
      `docker://${dockerRef}`,
    ]);
    const raw = JSON.parse(
      await tool('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${dockerRef}`]),
    ) as { mediaType: string };
    expect(raw.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    const dockerOut = join(work, 'seed-v2s2.tar');
    expect((await kcr('image', 'pull', dockerRef, '--output-file', dockerOut, '--insecure')).code).toBe(0);
    await expectSameFiles(dockerOut, podmanTar);
  });

  it('fails with exit 2 on a missing tag', async () => {
    const res = await kcr(
      'image',
      'pull',
      `${registry.host}/checkpoints/counter:no-such-tag`,
      '--output-file',
      join(work, 'x.tar'),
      '--insecure',
    );
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^error: .*manifest no-such-tag: not found/m);
    expect(res.stderr).toMatch(/^hint: /m);
  });

  it('fails with exit 2 on an unknown host', async () => {
    const res = await kcr(
      'image',
      'pull',
      'no-such-registry.invalid/checkpoints/x:v1',
      '--output-file',
      join(work, 'x.tar'),
    );
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('error: no-such-registry.invalid: unknown host');
  });

  it('refuses a corrupted blob (digest mismatch) with exit 2 and leaves no output file', async () => {
    const ref = `${registry.host}/checkpoints/corrupt:v1`;
    expect((await kcr('image', 'build', podmanTar, '-t', ref, '--push', '--insecure')).code).toBe(0);
    // Flip one byte of the stored layer, inside the registry's own storage.
    const digest = `sha256:${sha256(await readFile(podmanTar))}`;
    const fh = await open(registry.blobFile(digest), 'r+');
    const byte = Buffer.alloc(1);
    await fh.read(byte, 0, 1, 5000);
    await fh.write(Buffer.from([byte[0]! ^ 0xff]), 0, 1, 5000);
    await fh.close();
    const outDir = join(work, 'corrupt-out');
    await mkdir(outDir);
    const res = await kcr('image', 'pull', ref, '--output-file', join(outDir, 'c.tar'), '--insecure');
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^error: .*layer .*expected sha256:.*, got sha256:/m);
    expect(await readdir(outDir)).toEqual([]);
  });
});

describe('kcr image inspect', () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    const [host, port] = registry.host.split(':');
    proxy = await startTcpProxy(host!, Number(port));
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('shows the checkpoint from manifest and config without downloading the layer', async () => {
    const ref = `${proxy.host}/checkpoints/webserver:v1`;
    const before = proxy.downstreamBytes;
    const res = await kcr('image', 'inspect', ref, '--insecure', '-o', 'json');
    expect(res.code).toBe(0);
    const info = JSON.parse(res.stdout) as Record<string, unknown>;
    expect(info).toMatchObject({
      container: 'webserver',
      pod: 'webserver',
      namespace: 'default',
      engine: 'CRI-O',
      os: 'linux',
      architecture: 'amd64',
      checkpoint: true,
      size: (await stat(crioTar)).size,
      archiveDigest: `sha256:${sha256(await readFile(crioTar))}`,
      sourceNode: 'worker-1',
    });
    expect(info.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Manifest, config and HTTP overhead: a few KiB, against a 3.3 MiB layer.
    expect(proxy.downstreamBytes - before).toBeLessThan(64 * 1024);
  });

  it('prints YAML and a readable summary too', async () => {
    const ref = `${registry.host}/checkpoints/webserver:v1`;
    const yaml = await kcr('image', 'inspect', ref, '--insecure', '-o', 'yaml');
    expect(yaml.stdout).toMatch(/^container: webserver$/m);
    const text = await kcr('image', 'inspect', ref, '--insecure');
    expect(text.stdout).toMatch(/^Container: +webserver$/m);
    expect(text.stdout).toMatch(/^Namespace: +default$/m);
  });

  it('calls its human form table, as the other commands do, and still takes text for it', async () => {
    const ref = `${registry.host}/checkpoints/webserver:v1`;
    const byDefault = await kcr('image', 'inspect', ref, '--insecure');
    const table = await kcr('image', 'inspect', ref, '--insecure', '-o', 'table');
    const text = await kcr('image', 'inspect', ref, '--insecure', '-o', 'text');
    expect(table.code).toBe(0);
    expect(table.stdout).toBe(byDefault.stdout);
    expect(text.stdout).toBe(byDefault.stdout);
    const wrong = await kcr('image', 'inspect', ref, '--insecure', '-o', 'xml');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(
      'error: -o/--output takes an output format (table, json, yaml), not "xml"',
    );
  });
});

describe('kcr image build to an OCI layout or the local store, then push', () => {
  it('writes a layout that skopeo copies to a registry, and kcr pulls the archive back from there', async () => {
    const layout = join(work, 'layout');
    const res = await kcr('image', 'build', podmanTar, '--oci-layout', layout, '-t', 'localhost/counter:v1');
    expect(res.code).toBe(0);
    const ref = `${registry.host}/checkpoints/via-skopeo:v1`;
    await tool('skopeo', ['copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${ref}`]);
    const raw = JSON.parse(
      await tool('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`]),
    ) as { annotations: Record<string, string> };
    expect(raw.annotations['io.podman.annotations.checkpoint.runtime.name']).toBe('runc');
    const out = join(work, 'via-skopeo.tar');
    expect((await kcr('image', 'pull', ref, '--output-file', out, '--insecure')).code).toBe(0);
    expect((await readFile(out)).equals(await readFile(podmanTar))).toBe(true);
  });

  it('pushes an OCI layout with kcr image push oci:DIR:NAME REF', async () => {
    const ref = `${registry.host}/checkpoints/from-layout:v1`;
    const res = await kcr('image', 'push', `oci:${join(work, 'layout')}:v1`, ref, '--insecure', '-o', 'json');
    expect(res.code).toBe(0);
    const result = JSON.parse(res.stdout) as { blobs: { result: string }[] };
    expect(result.blobs.map((b) => b.result)).toEqual(['uploaded', 'uploaded']);
  });

  it('lists locally built images with image ls and removes them, and their layers, with image rm', async () => {
    const one = `${registry.host}/checkpoints/local:one`;
    const two = `${registry.host}/checkpoints/local:two`;
    expect((await kcr('image', 'build', crioTar, '-t', one)).code).toBe(0);
    expect((await kcr('image', 'build', podmanTar, '-t', two)).code).toBe(0);
    const listed = await kcr('image', 'ls', '-o', 'json');
    expect(listed.code, listed.stderr).toBe(0);
    const images = JSON.parse(listed.stdout) as { reference: string; digest: string; size: number }[];
    expect(images.filter((i) => i.reference.includes('/checkpoints/local:'))).toEqual([
      expect.objectContaining({ reference: one, size: (await stat(crioTar)).size }),
      expect.objectContaining({ reference: two, size: (await stat(podmanTar)).size }),
    ]);
    const table = await kcr('image', 'ls');
    expect(table.stdout).toMatch(new RegExp(`^${one.replace(/[.:/]/g, '\\$&')} +[0-9a-f]{12} `, 'm'));
    const removed = await kcr('image', 'rm', one);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toMatch(new RegExp(`^removed .*local:one \\(3\\.\\d+ MiB freed\\)$`, 'm'));
    const after = JSON.parse((await kcr('image', 'ls', '-o', 'json')).stdout) as { reference: string }[];
    expect(after.map((i) => i.reference)).toContain(two);
    expect(after.map((i) => i.reference)).not.toContain(one);
    const again = await kcr('image', 'rm', one);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(
      /^error: .*local:one: no such image in the local store .*\nhint: `kcr image ls` lists/,
    );
  });

  it('keeps a built image in the local store until kcr image push REF sends it', async () => {
    const ref = `${registry.host}/checkpoints/stored:v1`;
    const built = await kcr('image', 'build', crioTar, '-t', ref);
    expect(built.code).toBe(0);
    expect(built.stdout).toContain(`kcr image push ${ref}`);
    // image inspect reads the local store first; --remote asks the registry, which has nothing yet.
    const local = await kcr('image', 'inspect', ref, '-o', 'json');
    expect(local.code, local.stderr).toBe(0);
    expect(JSON.parse(local.stdout)).toMatchObject({
      reference: ref,
      container: 'webserver',
      checkpoint: true,
    });
    const missing = await kcr('image', 'inspect', ref, '--insecure', '--remote');
    expect(missing.code).toBe(2);
    const pushed = await kcr('image', 'push', ref, '--insecure');
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toMatch(/^ +[0-9a-f]{12} +uploaded +\d/m);
    // Pushed again, the blob HEAD checks find both blobs and skip them.
    const again = await kcr('image', 'push', ref, '--insecure', '-o', 'json');
    expect((JSON.parse(again.stdout) as { blobs: { result: string }[] }).blobs.map((b) => b.result)).toEqual([
      'exists',
      'exists',
    ]);
    expect((await kcr('image', 'inspect', ref, '--insecure')).code).toBe(0);
  });

  it('says a reference is needed when there is nowhere to put the image (exit 1)', async () => {
    const res = await kcr('image', 'build', podmanTar);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('error: an image reference is needed');
  });
});

/** `tar -tvf` lines as name and type letter (`-` regular file, `d` directory, `l` symlink, ...). */
async function tarEntries(path: string): Promise<{ name: string; type: string }[]> {
  const out = await tool('tar', ['--force-local', '-tvf', path]);
  return out
    .trim()
    .split('\n')
    .map((line) => ({ type: line[0]!, name: line.slice(line.lastIndexOf(' ') + 1) }));
}

/**
 * An image built from the real containerd 2.3 archive, read back from the registry with skopeo and
 * GNU tar: the layout containerd's restore requires (docs/checkpoint-format.md §E.5).
 */
describe('an image built from a containerd archive', () => {
  const ref = () => `${registry.host}/checkpoints/counter:v1`;

  it('is pushed with the layout containerd restores from, as skopeo and tar see it in the registry', async () => {
    const layout = join(work, 'layout');
    const r = await kcr(
      'image',
      'build',
      containerdTar,
      '-t',
      ref(),
      '--push',
      '--insecure',
      '--oci-layout',
      layout,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('restorable by: containerd');

    // The top-level manifest in the registry carries the annotation containerd looks for.
    const manifest = JSON.parse(
      await tool('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref()}`]),
    ) as { annotations: Record<string, string>; layers: { digest: string }[] };
    expect(manifest.annotations[ANNOTATIONS.criuContainerName]).toBe('counter');
    expect(manifest.layers).toHaveLength(1);

    // So does the OCI layout's index.
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as {
      manifests: { annotations: Record<string, string> }[];
    };
    expect(index.manifests[0]!.annotations[ANNOTATIONS.criuContainerName]).toBe('counter');

    // The layer as the registry serves it: its root is what containerd mounts and reads.
    const copy = join(work, 'copy');
    await tool('skopeo', ['copy', '--src-tls-verify=false', `docker://${ref()}`, `dir:${copy}`]);
    const layer = join(copy, manifest.layers[0]!.digest.slice('sha256:'.length));
    const entries = await tarEntries(layer);
    const root = new Set(entries.map((e) => e.name.replace(/\/$/, '')).filter((n) => !n.includes('/')));
    for (const name of [
      'spec.dump',
      'config.dump',
      'status.dump',
      'checkpoint',
      'rootfs-diff.tar',
      'container.log',
    ])
      expect(root.has(name), name).toBe(true);
    expect(entries.filter((e) => e.type !== '-' && e.type !== 'd')).toEqual([]);
    expect(entries.find((e) => e.name.replace(/\/$/, '') === 'checkpoint')?.type).toBe('d');

    const config = JSON.parse(await tool('tar', ['--force-local', '-xOf', layer, 'config.dump'])) as Record<
      string,
      string
    >;
    expect(config.rootfsImageRef).toMatch(/^127\.0\.0\.1:5000\/bbcounter@sha256:[0-9a-f]{64}$/);
    expect(config.rootfsImageName).toBe('127.0.0.1:5000/bbcounter:latest');
    const status = JSON.parse(await tool('tar', ['--force-local', '-xOf', layer, 'status.dump'])) as Record<
      string,
      unknown
    >;
    expect(status.image_id).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('says that an image made from a CRI-O archive restores on CRI-O only', async () => {
    const r = await kcr('image', 'build', crioTar, '-t', `${registry.host}/checkpoints/web:v1`, '-o', 'json');
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as {
      restorableBy: string[];
      notRestorableBy: Record<string, string[]>;
    };
    expect(result.restorableBy).toEqual(['cri-o']);
    expect(result.notRestorableBy.containerd).toContain(
      'there is no status.dump, which only containerd writes',
    );
  });

  it('warns when a containerd archive holds what containerd will not restore (a symlink, no status.dump)', async () => {
    const broken = await rewriteArchive(containerdTar, join(work, 'broken.tar'), {
      drop: ['status.dump'],
      add: [{ name: 'checkpoint/link', data: Buffer.alloc(0), type: 'symlink', linkname: 'pages-1.img' }],
    });
    const r = await kcr('image', 'build', broken, '-t', `${registry.host}/checkpoints/broken:v1`);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: containerd cannot restore this image: there is no status.dump');
    expect(r.stderr).toContain(
      'checkpoint/link is a symlink; containerd takes regular files and directories only',
    );
  });
});

describe('kcr image build --encrypt-to / pull --identity (ocicrypt)', () => {
  it('pushes an encrypted image that only the right key pulls back', async () => {
    const ref = `${registry.host}/checkpoints/secret:v1`;
    const built = await kcr(
      'image',
      'build',
      podmanTar,
      '-t',
      ref,
      '--push',
      '--insecure',
      '--encrypt-to',
      key('ocicrypt-rsa.pub.pem'),
      '--encrypt-to',
      `jwe:${key('ocicrypt-ec.pub.pem')}`,
    );
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    expect(built.stdout).toContain('application/vnd.oci.image.layer.v1.tar+encrypted');

    const out = join(work, 'decrypted.tar');
    const pulled = await kcr(
      'image',
      'pull',
      ref,
      '--output-file',
      out,
      '--insecure',
      '--identity',
      key('ocicrypt-ec.pem'),
    );
    expect(pulled.stderr).toBe('');
    expect(pulled.code).toBe(0);
    expect((await readFile(out)).equals(await readFile(podmanTar))).toBe(true);

    const refused = join(work, 'refused.tar');
    for (const [identity, stderr] of [
      [
        [],
        `error: ${ref}: the image is encrypted\nhint: give the private key it was encrypted to with --identity KEY.pem\n`,
      ],
      [
        ['--identity', key('ocicrypt-other.pem')],
        /^error: .*: none of the given keys can decrypt the image\nhint: /,
      ],
    ] as const) {
      const res = await kcr('image', 'pull', ref, refused, '--insecure', ...identity);
      expect(res.code).toBe(2);
      if (typeof stderr === 'string') expect(res.stderr).toBe(stderr);
      else expect(res.stderr).toMatch(stderr);
    }
    await expect(readFile(refused)).rejects.toThrow(/ENOENT/);
  });

  it.each([
    [
      'a private key',
      key('ocicrypt-rsa.pem'),
      /ocicrypt-rsa.pem: is a private key; encrypt to the public key\nhint: /,
    ],
    ['a missing file', '/nonexistent/pub.pem', /\/nonexistent\/pub.pem: no such key file\nhint: /],
  ])('refuses %s as --encrypt-to with one error and a hint', async (_what, recipient, stderr) => {
    const res = await kcr(
      'image',
      'build',
      podmanTar,
      '--oci-layout',
      join(work, 'never'),
      '--encrypt-to',
      recipient,
    );
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(stderr);
  });
});
