/**
 * `kcr image pull`: the layer of a single-layer checkpoint image, back as the archive tar. The bytes
 * stream to a private temp file beside the output while three digests are checked: the layer's
 * (every download), the uncompressed one against the config's diff_id, and the archive's against
 * kcr's annotation. Any mismatch deletes the temp file, so no output is left behind.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decompressor } from '../archive/index.js';
import { KcrError, fileError } from '../errors.js';
import { ANNOTATIONS } from './annotations.js';
import { DigestStream } from '../util/digest-stream.js';
import { cancelled } from './digest.js';
import { transportError } from './http.js';
import { layerCompression, type LayerCompression, type OciDescriptor } from './media-types.js';
import { shortDigest, throttled, type ProgressCallback } from './progress.js';
import { parseReference, type ImageReference } from './reference.js';
import { withRegistry, type RegistryClient, type RegistryOptions } from './registry-client.js';
import { resolveImage, type ResolvedImage } from './resolve.js';

export interface PullOptions extends RegistryOptions {
  /** For multi-platform tags: `os/arch`; defaults to this machine's. */
  platform?: string;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export interface PullResult {
  reference: string;
  /** The manifest digest. */
  digest: string;
  output: string;
  /** Bytes written (the uncompressed archive). */
  size: number;
  /** sha256 of what was written. */
  archiveDigest: string;
  layer: OciDescriptor;
  /** Which recorded digests the archive was checked against. */
  verified: { layer: true; diffId: boolean; annotation: boolean };
}

function mismatch(what: string, expected: string, actual: string): KcrError {
  return new KcrError('integrity', `${what}: expected ${expected}, got ${actual}`, {
    hint: 'the download is damaged or the registry holds a corrupted blob; nothing was written',
  });
}

function singleLayer(
  ref: ImageReference,
  image: ResolvedImage,
): { layer: OciDescriptor; compression: LayerCompression } {
  const [layer, ...rest] = image.manifest.layers;
  if (!layer || rest.length > 0) {
    throw new KcrError(
      'invalid-input',
      `${ref.full}: has ${image.manifest.layers.length} layers, expected one`,
      {
        hint: 'checkpoint images have exactly one layer holding the archive',
      },
    );
  }
  const compression = layerCompression(layer.mediaType);
  if (!compression)
    throw new KcrError('invalid-input', `${ref.full}: layer type ${layer.mediaType} is not a tar layer`);
  return { layer, compression };
}

interface Downloaded {
  layerDigest: string;
  archiveDigest: string;
  size: number;
}

/** Streams the layer into `tmp`, decompressing if needed, hashing both sides on the way. */
async function downloadLayer(
  client: RegistryClient,
  ref: ImageReference,
  { layer, compression }: { layer: OciDescriptor; compression: LayerCompression },
  tmp: string,
  options: PullOptions,
): Promise<Downloaded> {
  const report = throttled(options.onProgress, {
    phase: 'download',
    label: `layer ${shortDigest(layer.digest)}`,
    total: layer.size,
  });
  const packed = new DigestStream((n) => report(n));
  const raw = new DigestStream();
  const res = await client.getBlob(layer.digest, options.signal);
  const stages: Transform[] = compression === 'none' ? [packed] : [packed, decompressor(compression), raw];
  const sink = createWriteStream(tmp, { mode: 0o600, flags: 'wx' });
  await pipeline([res.body as Readable, ...stages, sink], { signal: options.signal }).catch(
    (err: unknown) => {
      if (options.signal?.aborted) throw cancelled(err);
      if (err instanceof KcrError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      if (/incorrect header|invalid|unexpected end|zstd/i.test(message)) {
        throw new KcrError(
          'integrity',
          `${ref.full}: layer ${layer.digest} does not decompress as ${compression}: ${message.toLowerCase()}`,
          {
            hint: 'the registry holds a damaged layer; nothing was written',
          },
        );
      }
      if ((err as { syscall?: string }).syscall) throw fileError(tmp, err, 'cannot write');
      throw transportError(client.registry, err, options.signal);
    },
  );
  report(packed.bytes, true);
  const layerDigest = packed.digest();
  return compression === 'none'
    ? { layerDigest, archiveDigest: layerDigest, size: packed.bytes }
    : { layerDigest, archiveDigest: raw.digest(), size: raw.bytes };
}

export async function pullCheckpointImage(
  reference: string,
  output: string,
  options: PullOptions = {},
): Promise<PullResult> {
  const ref = parseReference(reference);
  return withRegistry(ref.registry, ref.repository, 'pull', options, async (client) => {
    const image = await resolveImage(client, ref, options);
    const { layer, compression } = singleLayer(ref, image);
    const tmp = join(dirname(output), `.${basename(output)}.kcr-partial-${randomBytes(4).toString('hex')}`);
    try {
      const got = await downloadLayer(client, ref, { layer, compression }, tmp, options);
      if (got.layerDigest !== layer.digest)
        throw mismatch(`${ref.full}: layer ${layer.digest}`, layer.digest, got.layerDigest);
      const diffId = image.config.rootfs?.diff_ids?.[0];
      if (diffId && diffId !== got.archiveDigest) {
        throw mismatch(`${ref.full}: uncompressed layer (config diff_id)`, diffId, got.archiveDigest);
      }
      const recorded = image.annotations[ANNOTATIONS.kcrArchiveSha256];
      if (recorded && recorded !== got.archiveDigest) {
        throw mismatch(`${ref.full}: archive (${ANNOTATIONS.kcrArchiveSha256})`, recorded, got.archiveDigest);
      }
      await rename(tmp, output).catch((err: unknown) => {
        throw fileError(output, err, 'cannot write');
      });
      return {
        reference: ref.full,
        digest: image.manifestDigest,
        output,
        size: got.size,
        archiveDigest: got.archiveDigest,
        layer,
        verified: { layer: true, diffId: Boolean(diffId), annotation: Boolean(recorded) },
      };
    } finally {
      await rm(tmp, { force: true });
    }
  });
}
