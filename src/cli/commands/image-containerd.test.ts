/**
 * An image built from a real containerd 2.3 archive, pushed to a real registry, then read back
 * with skopeo and GNU tar (not kcr): the layout containerd's restore path requires
 * (docs/checkpoint-format.md §E.5) must be there, and what containerd cannot restore is said.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANNOTATIONS } from '../../oci/annotations.js';
import { rewriteArchive } from '../../testing/archive-builder.js';
import { runKcr } from '../../testing/cli.js';
import { CONTAINERD_REAL_ARCHIVE, fixture } from '../../testing/fixtures.js';
import { startRegistry, type TestRegistry } from '../../testing/registry.js';
import { tool } from '../../testing/tools.js';

const containerdTar = fixture(CONTAINERD_REAL_ARCHIVE);
const crioTar = fixture('crio/checkpoint-webserver_default-webserver-2026-11-28T16:01:40Z.tar');

let registry: TestRegistry;
let work: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), 'kcr-image-containerd-'));
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

/** `tar -tvf` lines as name and type letter (`-` regular file, `d` directory, `l` symlink, ...). */
async function tarEntries(path: string): Promise<{ name: string; type: string }[]> {
  const out = await tool('tar', ['--force-local', '-tvf', path]);
  return out
    .trim()
    .split('\n')
    .map((line) => ({ type: line[0]!, name: line.slice(line.lastIndexOf(' ') + 1) }));
}

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
