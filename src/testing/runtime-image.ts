/**
 * The kcr test image, assembled natively because CI cannot pull a base image: one layer holding
 * this machine's node binary, the shared libraries `ldd` names for it, and the CLI bundle, written
 * as an OCI layout with kcr's own writer (oci/layout.ts). The Containerfile builds the real image
 * (Node 20 slim, non-root, CLI + agent + controller); this one proves the same contents run.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { writeOciLayout, type LayoutWritable } from '../oci/layout.js';
import { MEDIA_TYPES, type OciManifest } from '../oci/media-types.js';
import { DigestStream } from '../util/digest-stream.js';
import { REPO_ROOT } from './built-cli.js';

export const IMAGE_USER = '65532:65532';
export const KCR_HOME = '/opt/kcr';

interface LayerFile {
  path: string;
  /** Where the bytes come from on this machine, or the bytes themselves. */
  from?: string;
  data?: Buffer;
  mode: number;
  type?: 'directory';
}

/** The libraries `ldd` names for a binary (the dynamic loader included), as the paths it names. */
export function lddLibraries(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => /=>\s*(\/\S+)/.exec(line)?.[1] ?? /^\s*(\/\S+)\s+\(/.exec(line)?.[1])
    .filter((p): p is string => p !== undefined);
}

async function bundleFiles(): Promise<LayerFile[]> {
  const dir = join(REPO_ROOT, 'dist', 'cli-bundle');
  const names = (await readdir(dir)).filter((n) => n.endsWith('.js'));
  return [
    { path: `${KCR_HOME}/package.json`, from: join(REPO_ROOT, 'package.json'), mode: 0o644 },
    { path: `${KCR_HOME}/bin/kcr.js`, from: join(REPO_ROOT, 'bin', 'kcr.js'), mode: 0o755 },
    ...names.map((n) => ({ path: `${KCR_HOME}/dist/cli-bundle/${n}`, from: join(dir, n), mode: 0o644 })),
  ];
}

/** Every file of the layer: parent directories first, as a tar of a root file system has them. */
export async function runtimeImageFiles(): Promise<LayerFile[]> {
  const node = await realpath(process.execPath);
  const files: LayerFile[] = [
    { path: '/usr/local/bin/node', from: node, mode: 0o755 },
    ...(await Promise.all(
      lddLibraries(node).map(async (p) => ({ path: p, from: await realpath(p), mode: 0o755 })),
    )),
    ...(await bundleFiles()),
    {
      path: '/etc/passwd',
      data: Buffer.from('root:x:0:0::/root:/sbin/nologin\nkcr:x:65532:65532::/home/kcr:/sbin/nologin\n'),
      mode: 0o644,
    },
    { path: '/etc/group', data: Buffer.from('root:x:0:\nkcr:x:65532:\n'), mode: 0o644 },
  ];
  const dirs = new Set<string>(['/tmp', '/home/kcr']);
  for (const f of files) {
    const parts = f.path.split('/').slice(1, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(`/${parts.slice(0, i).join('/')}`);
  }
  const dirEntries: LayerFile[] = [...dirs]
    .sort()
    .map((path) => ({ path, mode: path === '/tmp' ? 0o1777 : 0o755, type: 'directory' }));
  return [...dirEntries, ...files];
}

function archArch(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch;
}

/** Writes the test image into the OCI layout `dir` under `refName`; returns the manifest digest. */
export async function assembleRuntimeImage(
  dir: string,
  layerPath: string,
  refName = 'test',
): Promise<string> {
  const pack = tar.pack();
  const digest = new DigestStream();
  const written = pipeline(pack, digest, createWriteStream(layerPath, { mode: 0o600 }));
  for (const f of await runtimeImageFiles()) {
    const name = f.path.slice(1);
    const owner = f.path === '/home/kcr' ? { uid: 65532, gid: 65532 } : { uid: 0, gid: 0 };
    if (f.type === 'directory') {
      pack.entry({ name: `${name}/`, type: 'directory', mode: f.mode, mtime: new Date(0), ...owner });
      continue;
    }
    const data = f.data ?? (await readFile(f.from!));
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name, mode: f.mode, size: data.length, mtime: new Date(0), ...owner }, data, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }
  pack.finalize();
  await written;
  const layerDigest = `sha256:${digest.hex()}`;
  const layerSize = (await stat(layerPath)).size;
  const config = {
    architecture: archArch(),
    os: 'linux',
    config: {
      User: IMAGE_USER,
      Entrypoint: ['/usr/local/bin/node', `${KCR_HOME}/bin/kcr.js`],
      Cmd: ['version'],
      Env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'HOME=/home/kcr'],
      WorkingDir: KCR_HOME,
    },
    rootfs: { type: 'layers' as const, diff_ids: [layerDigest] },
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const manifest: OciManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: {
      mediaType: MEDIA_TYPES.ociConfig,
      digest: `sha256:${createHash('sha256').update(configBytes).digest('hex')}`,
      size: configBytes.length,
    },
    layers: [{ mediaType: MEDIA_TYPES.ociLayerTar, digest: layerDigest, size: layerSize }],
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const image: LayoutWritable = {
    layer: { descriptor: manifest.layers[0]!, path: layerPath, diffId: layerDigest },
    manifest,
    manifestBytes,
    manifestDigest: `sha256:${createHash('sha256').update(manifestBytes).digest('hex')}`,
    configBytes,
    platform: { architecture: archArch(), os: 'linux' },
  };
  await writeOciLayout(image, dir, { refName });
  return image.manifestDigest;
}
