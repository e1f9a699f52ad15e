/**
 * `kcr image pull`: the layer of a single-layer checkpoint image, back as the archive tar. The bytes
 * stream to a private temp file beside the output while three digests are checked: the layer's
 * (every download), the uncompressed one against the config's diff_id, and the archive's against
 * kcr's annotation. Any mismatch deletes the temp file, so no output is left behind.
 */
import type { KeyObject } from 'node:crypto';
import type { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decompressor } from '../archive/index.js';
import { KcrError, fileError } from '../errors.js';
import { ANNOTATIONS } from './annotations.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { DigestStream } from '../util/digest-stream.js';
import { cancelled } from './digest.js';
import { isTransientError, transportError } from './http.js';
import { layerCompression, type LayerCompression, type OciDescriptor } from './media-types.js';
import {
  createLayerDecryptStream,
  decryptedMediaType,
  isEncryptedMediaType,
  unwrapLayerKey,
  type LayerKey,
} from './ocicrypt.js';
import { shortDigest, throttled, type ProgressCallback } from './progress.js';
import { toReference, type ImageReference } from './reference.js';
import { withRegistry, type RegistryClient, type RegistryOptions } from './registry-client.js';
import { resolveImage, type ResolvedImage } from './resolve.js';

export interface PullOptions extends RegistryOptions {
  /** For multi-platform tags: `os/arch`; defaults to this machine's. */
  platform?: string;
  /** Private keys for an encrypted (ocicrypt) image; the first that opens the layer is used. */
  identities?: readonly KeyObject[];
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

/** Where the archive goes: a file path (written atomically), or a stream the caller owns (e.g. stdout). */
export type PullTarget = string | Writable;

export interface PullResult {
  reference: string;
  /** The manifest digest. */
  digest: string;
  /** The file written, or `-` when the archive went to the caller's stream. */
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
  const compression = layerCompression(decryptedMediaType(layer.mediaType));
  if (!compression)
    throw new KcrError('invalid-input', `${ref.full}: layer type ${layer.mediaType} is not a tar layer`);
  return { layer, compression };
}

interface Downloaded {
  layerDigest: string;
  archiveDigest: string;
  size: number;
}

/** What went wrong in the download pipeline, told apart by the error: decompression, the output file, or the network. */
function downloadError(
  client: RegistryClient,
  ref: ImageReference,
  layer: { layer: OciDescriptor; compression: LayerCompression },
  output: string,
  err: unknown,
  signal?: AbortSignal,
): KcrError {
  if (signal?.aborted) return cancelled(err);
  if (err instanceof KcrError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (layer.compression !== 'none' && /incorrect header|invalid|unexpected end|zstd/i.test(message)) {
    return new KcrError(
      'integrity',
      `${ref.full}: layer ${layer.layer.digest} does not decompress as ${layer.compression}: ${message.toLowerCase()}`,
      { hint: 'the registry holds a damaged layer; nothing was written' },
    );
  }
  // A socket error may carry a syscall too (`read ECONNRESET`), so the network is asked about first.
  if (isTransientError(err)) return transportError(client.registry, err, signal);
  if ((err as { syscall?: string }).syscall) return fileError(output, err, 'cannot write');
  return transportError(client.registry, err, signal);
}

/**
 * Streams the layer into `output` through a temp file beside it, decompressing if needed and hashing
 * both sides on the way; `verify` sees the digests before the rename and throws to leave nothing behind.
 */
async function downloadLayer(
  client: RegistryClient,
  ref: ImageReference,
  { layer, compression }: { layer: OciDescriptor; compression: LayerCompression },
  output: PullTarget,
  verify: (got: Downloaded) => void,
  options: PullOptions,
  layerKey?: LayerKey,
): Promise<Downloaded> {
  const report = throttled(options.onProgress, {
    phase: 'download',
    label: `layer ${shortDigest(layer.digest)}`,
    total: layer.size,
  });
  const packed = new DigestStream((n) => report(n));
  const raw = new DigestStream();
  const res = await client.getBlob(layer.digest, options.signal);
  const unpack: Transform[] = [
    ...(layerKey ? [createLayerDecryptStream(layerKey, `${ref.full}: layer ${layer.digest}`)] : []),
    ...(compression === 'none' ? [] : [decompressor(compression)]),
  ];
  const stages: Transform[] = unpack.length === 0 ? [packed] : [packed, ...unpack, raw];
  let got: Downloaded | undefined;
  const downloaded = (): Downloaded => {
    const layerDigest = packed.digest();
    return unpack.length === 0
      ? { layerDigest, archiveDigest: layerDigest, size: packed.bytes }
      : { layerDigest, archiveDigest: raw.digest(), size: raw.bytes };
  };
  const check = () => {
    report(packed.bytes, true);
    got = downloaded();
    verify(got);
  };
  try {
    if (typeof output === 'string') {
      await writeFileAtomic(
        output,
        res.body as Readable,
        { mode: 0o600, signal: options.signal, verify: check },
        ...stages,
      );
    } else {
      // A stream cannot be taken back: the bytes are checked as they pass and a mismatch is
      // reported after the fact (the caller's exit status says the output is not to be trusted).
      await pipeline([res.body as Readable, ...stages, output], { signal: options.signal });
      check();
    }
  } catch (err) {
    const name = typeof output === 'string' ? output : '-';
    throw downloadError(client, ref, { layer, compression }, name, err, options.signal);
  }
  return got!;
}

export async function pullCheckpointImage(
  reference: ImageReference | string,
  output: PullTarget,
  options: PullOptions = {},
): Promise<PullResult> {
  const ref = toReference(reference);
  return withRegistry(ref.registry, ref.repository, 'pull', options, async (client) => {
    const image = await resolveImage(client, ref, options);
    const { layer, compression } = singleLayer(ref, image);
    const diffId = image.config.rootfs?.diff_ids?.[0];
    const recorded = image.annotations[ANNOTATIONS.kcrArchiveSha256];
    const layerKey = isEncryptedMediaType(layer.mediaType)
      ? await unwrapLayerKey(layer, options.identities ?? [], ref.full)
      : undefined;
    const got = await downloadLayer(
      client,
      ref,
      { layer, compression },
      output,
      (got) => {
        if (got.layerDigest !== layer.digest)
          throw mismatch(`${ref.full}: layer ${layer.digest}`, layer.digest, got.layerDigest);
        if (diffId && diffId !== got.archiveDigest) {
          throw mismatch(`${ref.full}: uncompressed layer (config diff_id)`, diffId, got.archiveDigest);
        }
        if (recorded && recorded !== got.archiveDigest) {
          throw mismatch(
            `${ref.full}: archive (${ANNOTATIONS.kcrArchiveSha256})`,
            recorded,
            got.archiveDigest,
          );
        }
      },
      options,
      layerKey,
    );
    return {
      reference: ref.full,
      digest: image.manifestDigest,
      output: typeof output === 'string' ? output : '-',
      size: got.size,
      archiveDigest: got.archiveDigest,
      layer,
      verified: { layer: true, diffId: Boolean(diffId), annotation: Boolean(recorded) },
    };
  });
}
