/**
 * Builds a checkpoint image whose single layer is the archive tar itself, byte for byte
 * (DESIGN decision 5). Nothing is unpacked: the layer digest is one streaming pass over the file,
 * and only the small config and manifest are made in memory.
 */
import type { KeyObject } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  CheckpointArchive,
  readMetadata,
  restoreFit,
  type CheckpointInfo,
  type RestoreFit,
} from '../archive/index.js';
import { makeTempDir } from '../util/temp-dir.js';
import { architectureFromCoreImage } from '../criu/arch.js';
import { KcrError, fileError } from '../errors.js';
import { checkpointAnnotations } from './annotations.js';
import { compressor } from './compress.js';
import { encryptLayerFile } from './encrypt-layer.js';
import { DigestStream } from '../util/digest-stream.js';
import { cancelled, digestFile, sha256Digest } from './digest.js';
import {
  MEDIA_TYPES,
  layerMediaType,
  type Annotations,
  type LayerCompression,
  type OciDescriptor,
  type OciImageConfig,
  type OciManifest,
  type OciPlatform,
} from './media-types.js';
import { throttled, type ProgressCallback } from './progress.js';

export interface BuildOptions {
  compression?: LayerCompression;
  /** `auto` (from the CRIU core image) or `os/arch[/variant]`. */
  platform?: string;
  sourceNode?: string;
  /** Extra annotations; they win over the derived ones. */
  annotations?: Annotations;
  /**
   * Encrypt the layer for these public keys (ocicrypt, see ocicrypt.ts): the archive becomes secret,
   * the manifest, config and annotations stay readable.
   */
  encryptTo?: readonly KeyObject[];
  /** Image creation time; defaults to the checkpoint time, so the same archive builds the same image. */
  created?: string;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  /** Where a compressed layer is made: KCR_TMPDIR from this environment (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * Digests an uncompressed, unencrypted layer (the archive file) in place of the build's own pass:
   * a push gives one that uploads the file while hashing it, so the archive is read once.
   */
  hashLayer?: (path: string) => Promise<{ digest: string; size: number }>;
}

/** A blob kcr can upload or copy: bytes in a file, or small bytes in memory. */
export interface BlobSource {
  descriptor: OciDescriptor;
  path?: string;
  data?: Buffer;
}

export interface BuiltImage {
  manifest: OciManifest;
  manifestBytes: Buffer;
  manifestDigest: string;
  config: OciImageConfig;
  configBytes: Buffer;
  layer: BlobSource & { path: string; diffId: string };
  platform: OciPlatform;
  info: CheckpointInfo;
  /** Why CRI-O and containerd could not restore the image (archive/restorers.ts); empty lists where they can. */
  restoreFit: RestoreFit;
  /** Removes temporary files (decompressed input, compressed layer). */
  dispose(): Promise<void>;
}

/** The lowest-numbered core image belongs to the root task; any core image names the machine type. */
async function archiveArchitecture(archive: CheckpointArchive): Promise<string | undefined> {
  const cores = archive
    .members()
    .map((m) => /^checkpoint\/core-(\d+)\.img$/.exec(m.name))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]));
  const first = cores[0];
  if (!first) return undefined;
  return architectureFromCoreImage(await archive.read(first[0]), first[0]);
}

export async function resolvePlatform(archive: CheckpointArchive, platform = 'auto'): Promise<OciPlatform> {
  if (platform !== 'auto') {
    const [os, architecture, variant] = platform.split('/');
    if (!os || !architecture) {
      throw new KcrError('usage', `${platform}: invalid platform`, {
        hint: 'write it as os/arch, e.g. linux/amd64, or auto',
      });
    }
    return { os, architecture, ...(variant ? { variant } : {}) };
  }
  const architecture = await archiveArchitecture(archive);
  if (!architecture) {
    throw new KcrError(
      'invalid-input',
      `${archive.path}: cannot tell the architecture: no readable checkpoint/core-*.img`,
      {
        hint: 'pass --platform linux/ARCH explicitly',
      },
    );
  }
  return { os: 'linux', architecture };
}

interface LayerResult {
  path: string;
  digest: string;
  size: number;
  diffId: string;
  diffSize: number;
  mediaType: string;
  annotations?: Annotations;
}

/** Compresses the tar into a private temp file, hashing both sides in the same pass. */
async function compressLayer(
  tarPath: string,
  compression: Exclude<LayerCompression, 'none'>,
  tempDir: string,
  options: BuildOptions,
  total: number,
): Promise<LayerResult> {
  const out = join(tempDir, `layer.tar.${compression === 'gzip' ? 'gz' : 'zst'}`);
  const report = throttled(options.onProgress, { phase: 'compress', label: `layer (${compression})`, total });
  const raw = new DigestStream((n) => report(n));
  const packed = new DigestStream();
  try {
    await pipeline(
      createReadStream(tarPath, { highWaterMark: 1 << 20 }),
      raw,
      await compressor(compression),
      packed,
      createWriteStream(out, { mode: 0o600, flags: 'wx' }),
      { signal: options.signal },
    );
  } catch (err) {
    if (options.signal?.aborted) throw cancelled(err);
    if (err instanceof KcrError) throw err;
    throw fileError(tarPath, err, `cannot compress the layer`);
  }
  report(raw.bytes, true);
  return {
    path: out,
    digest: packed.digest(),
    size: packed.bytes,
    diffId: raw.digest(),
    diffSize: raw.bytes,
    mediaType: layerMediaType(compression),
  };
}

/** The uncompressed layer's digest: the caller's hashLayer (hashed while uploaded) or a pass of its own. */
async function hashPlainLayer(
  tarPath: string,
  options: BuildOptions,
  total: number,
): Promise<{ digest: string; size: number }> {
  if (options.hashLayer && !options.encryptTo?.length) return options.hashLayer(tarPath);
  const report = throttled(options.onProgress, { phase: 'digest', label: 'layer', total });
  const hashed = await digestFile(tarPath, { onBytes: (n) => report(n), signal: options.signal });
  report(hashed.size, true);
  return hashed;
}

async function makeLayer(
  tarPath: string,
  compression: LayerCompression,
  tempDir: () => Promise<string>,
  options: BuildOptions,
  total: number,
): Promise<LayerResult> {
  let layer: LayerResult;
  if (compression !== 'none') {
    layer = await compressLayer(tarPath, compression, await tempDir(), options, total);
  } else {
    const { digest, size } = await hashPlainLayer(tarPath, options, total);
    layer = {
      path: tarPath,
      digest,
      size,
      diffId: digest,
      diffSize: size,
      mediaType: layerMediaType('none'),
    };
  }
  if (!options.encryptTo?.length) return layer;
  return { ...layer, ...(await encryptLayerFile(layer, options.encryptTo, await tempDir(), options)) };
}

function assemble(
  layer: LayerResult,
  platform: OciPlatform,
  created: string,
  annotations: Annotations,
): { config: OciImageConfig; configBytes: Buffer; manifest: OciManifest; manifestBytes: Buffer } {
  const config: OciImageConfig = {
    created,
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    history: [{ created, created_by: 'kcr image build', comment: 'the layer is the checkpoint archive' }],
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const manifest: OciManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: { mediaType: MEDIA_TYPES.ociConfig, digest: sha256Digest(configBytes), size: configBytes.length },
    layers: [
      {
        mediaType: layer.mediaType,
        digest: layer.digest,
        size: layer.size,
        ...(layer.annotations ? { annotations: layer.annotations } : {}),
      },
    ],
    annotations,
  };
  return { config, configBytes, manifest, manifestBytes: Buffer.from(JSON.stringify(manifest)) };
}

/** Builds the image from a checkpoint archive (plain tar, or gzip/zstd which is decompressed once). */
export async function buildCheckpointImage(
  archivePath: string,
  options: BuildOptions = {},
): Promise<BuiltImage> {
  const archive = await CheckpointArchive.open(archivePath);
  let temp: { dir: string; remove: () => Promise<void> } | undefined;
  const dispose = async () => {
    await archive.close();
    await temp?.remove();
  };
  try {
    const tarPath = archive.dataFile();
    if (!tarPath) {
      throw new KcrError(
        'invalid-input',
        `${archivePath}: is a directory, expected a checkpoint archive file`,
        {
          hint: 'build from the .tar that kubelet, CRI-O, containerd or Podman wrote',
        },
      );
    }
    const metadata = await readMetadata(archive);
    const { info } = metadata;
    const platform = await resolvePlatform(archive, options.platform);
    const compression = options.compression ?? 'none';
    const tempDir = async () => (temp ??= await makeTempDir('build', { env: options.env })).dir;
    const layer = await makeLayer(
      tarPath,
      compression,
      tempDir,
      options,
      archive.compression === 'none' ? archive.byteSize : 0,
    );
    const created = options.created ?? info.checkpointedAt ?? new Date().toISOString();
    const annotations = {
      ...checkpointAnnotations({
        info,
        architecture: platform.architecture,
        created,
        archiveDigest: layer.diffId,
        archiveSize: layer.diffSize,
        sourceCompression: archive.compression,
        ...(options.sourceNode ? { sourceNode: options.sourceNode } : {}),
      }),
      ...options.annotations,
    };
    const parts = assemble(layer, platform, created, annotations);
    const [layerDescriptor] = parts.manifest.layers as [OciDescriptor];
    return {
      ...parts,
      manifestDigest: sha256Digest(parts.manifestBytes),
      layer: { descriptor: layerDescriptor, path: layer.path, diffId: layer.diffId },
      platform,
      info,
      restoreFit: restoreFit(archive, metadata),
      dispose,
    };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/** The blobs of a built image in upload order: layer first, config last before the manifest. */
export function imageBlobs(image: BuiltImage): BlobSource[] {
  return [image.layer, { descriptor: image.manifest.config, data: image.configBytes }];
}
