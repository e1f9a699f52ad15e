/**
 * The kcr image's contents run. CI cannot pull the Containerfile's base image, so the test image
 * is assembled natively (src/testing/runtime-image.ts: this machine's node, the libraries ldd
 * names, the CLI bundle) into an OCI layout with kcr's own writer; its root file system then runs
 * `kcr version` as the image's non-root user, in a chroot and, where this machine lets podman
 * start containers, with `podman --runtime runc`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOciLayout } from '../../src/oci/layout.js';
import { tempDir } from '../../src/testing/archive-builder.js';
import { builtBin, REPO_ROOT } from '../../src/testing/built-cli.js';
import { assembleRuntimeImage, IMAGE_USER, lddLibraries } from '../../src/testing/runtime-image.js';
import { VERSION } from '../../src/version.js';

const tmp = tempDir('kcr-image-');
// Podman reads `oci:PATH:REF` as an image reference too: the path must be lower-case.
const layout = join(
  tmp.dir.toLowerCase() === tmp.dir ? tmp.dir : `${tmp.dir}-layout`.toLowerCase(),
  'layout',
);
const rootfs = join(tmp.dir, 'rootfs');
let entries: string[];
const isRoot = process.getuid?.() === 0;
const CLEAN_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/home/kcr' };

beforeAll(async () => {
  builtBin('kcr');
  await assembleRuntimeImage(layout, join(tmp.dir, 'layer.tar'));
  entries = execFileSync('tar', ['tf', join(tmp.dir, 'layer.tar')], { encoding: 'utf8', maxBuffer: 1 << 24 })
    .split('\n')
    .filter(Boolean);
  await mkdir(rootfs);
  execFileSync('tar', ['xf', join(tmp.dir, 'layer.tar'), '-C', rootfs]);
}, 120_000);
afterAll(async () => {
  tmp.cleanup();
  await rm(join(layout, '..'), { recursive: true, force: true });
});

describe('the kcr test image', () => {
  it('holds node, every library ldd names for it, and the CLI bundle; runs as a non-root user', async () => {
    for (const lib of lddLibraries(process.execPath)) expect(entries).toContain(lib.slice(1));
    expect(entries).toEqual(
      expect.arrayContaining(['usr/local/bin/node', 'opt/kcr/bin/kcr.js', 'opt/kcr/dist/cli-bundle/bin.js']),
    );
    const image = await readOciLayout(layout, 'test');
    const config = JSON.parse(readFileSync(image.blobs.at(-1)!.path!, 'utf8')) as {
      config: { User: string; Entrypoint: string[] };
      rootfs: { diff_ids: string[] };
    };
    expect(config.config.User).toBe(IMAGE_USER);
    expect(config.config.Entrypoint).toEqual(['/usr/local/bin/node', '/opt/kcr/bin/kcr.js']);
    expect(config.rootfs.diff_ids).toEqual([image.manifest.layers[0]!.digest]);
  });

  it.runIf(isRoot)('its root file system runs kcr version as uid 65532 with nothing from the host', () => {
    const run = spawnSync(
      'chroot',
      [
        '--userspec=65532:65532',
        rootfs,
        '/usr/local/bin/node',
        '/opt/kcr/bin/kcr.js',
        'version',
        '-o',
        'json',
      ],
      { encoding: 'utf8', env: { ...CLEAN_ENV, PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } },
    );
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({
      version: VERSION,
      node: process.version,
      platform: `linux/${process.arch}`,
    });
  });

  /** Podman in a sandbox without CAP_SYS_RESOURCE cannot start containers: runc fails to set rlimits. */
  const podman = spawnSync('podman', ['--version'], { encoding: 'utf8' });
  it.runIf(isRoot && podman.status === 0)('podman --runtime runc runs kcr version in it', (ctx) => {
    const run = spawnSync(
      'podman',
      [
        '--runtime',
        'runc',
        'run',
        '--rm',
        '--network',
        'none',
        `oci:${layout}:test`,
        'version',
        '-o',
        'json',
      ],
      { encoding: 'utf8', cwd: REPO_ROOT },
    );
    if (/error setting rlimit type \d+: operation not permitted/.test(run.stderr)) {
      ctx.skip(`podman cannot start containers on this machine: ${run.stderr.trim().split('\n').at(-1)}`);
    }
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ version: VERSION, node: process.version });
  });
});
