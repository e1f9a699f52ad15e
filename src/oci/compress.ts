/**
 * Layer compression. gzip comes with Node; Node 20 has no zstd compressor, so zstd uses the optional
 * native `zstd-napi` package, loaded only when asked for so that a failed native build costs only zstd.
 */
import type { Transform } from 'node:stream';
import { createGzip } from 'node:zlib';
import { KcrError } from '../errors.js';
import type { LayerCompression } from './media-types.js';

interface ZstdModule {
  CompressStream: new (params?: { compressionLevel?: number }) => Transform;
}

async function loadZstd(): Promise<ZstdModule> {
  try {
    const mod = (await import('zstd-napi')) as unknown as ZstdModule & { default?: ZstdModule };
    return mod.CompressStream ? mod : (mod.default as ZstdModule);
  } catch (err) {
    throw new KcrError(
      'invalid-input',
      'zstd compression is not available: the zstd-napi module did not load',
      {
        hint: 'use --compression gzip or none, or reinstall kcr where a C++ compiler is available',
        cause: err,
      },
    );
  }
}

export async function compressor(compression: Exclude<LayerCompression, 'none'>): Promise<Transform> {
  if (compression === 'gzip') {
    // Level 6 is gzip's own default: the usual speed/size balance for registry layers.
    return createGzip({ level: 6, chunkSize: 1 << 20 });
  }
  const zstd = await loadZstd();
  // Level 3 is zstd's own default.
  return new zstd.CompressStream({ compressionLevel: 3 });
}
