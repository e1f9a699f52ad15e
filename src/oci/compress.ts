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

function isZstdModule(value: unknown): value is ZstdModule {
  return typeof value === 'object' && value !== null && 'CompressStream' in value;
}

async function loadZstd(): Promise<ZstdModule> {
  try {
    // A CommonJS module: its exports are the namespace itself or its default, by loader.
    const mod: unknown = await import('zstd-napi');
    if (isZstdModule(mod)) return mod;
    const fallback = typeof mod === 'object' && mod !== null && 'default' in mod ? mod.default : undefined;
    if (isZstdModule(fallback)) return fallback;
    throw new Error('zstd-napi exports no CompressStream');
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
