/**
 * Encrypts a built layer file into a private temp file (ocicrypt's AES_256_CTR_HMAC_SHA256), digesting
 * the ciphertext in the same pass, so an encrypted image costs one more streaming read of the layer.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { KeyObject } from 'node:crypto';
import { KcrError, fileError } from '../errors.js';
import { DigestStream } from '../util/digest-stream.js';
import { cancelled } from './digest.js';
import type { Annotations } from './media-types.js';
import { ENCRYPTED_SUFFIX, LayerEncryptStream, layerEncryptionAnnotations } from './ocicrypt.js';
import { throttled, type ProgressCallback } from './progress.js';

export interface EncryptedLayer {
  path: string;
  digest: string;
  size: number;
  mediaType: string;
  annotations: Annotations;
}

export async function encryptLayerFile(
  layer: { path: string; digest: string; size: number; mediaType: string },
  recipients: readonly KeyObject[],
  tempDir: string,
  options: { onProgress?: ProgressCallback; signal?: AbortSignal } = {},
): Promise<EncryptedLayer> {
  const out = join(tempDir, 'layer.encrypted');
  const report = throttled(options.onProgress, {
    phase: 'encrypt',
    label: 'layer (ocicrypt)',
    total: layer.size,
  });
  const cipher = new LayerEncryptStream();
  const sealed = new DigestStream((n) => report(n));
  try {
    await pipeline(
      createReadStream(layer.path, { highWaterMark: 1 << 20 }),
      cipher,
      sealed,
      createWriteStream(out, { mode: 0o600, flags: 'wx' }),
      { signal: options.signal },
    );
  } catch (err) {
    if (options.signal?.aborted) throw cancelled(err);
    if (err instanceof KcrError) throw err;
    throw fileError(layer.path, err, 'cannot encrypt the layer');
  }
  report(sealed.bytes, true);
  return {
    path: out,
    digest: sealed.digest(),
    size: sealed.bytes,
    mediaType: layer.mediaType + ENCRYPTED_SUFFIX,
    annotations: await layerEncryptionAnnotations(cipher, layer.digest, recipients),
  };
}
