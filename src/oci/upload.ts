/**
 * Blob uploads (distribution spec "pushing blobs"): HEAD to skip what the registry has, a
 * cross-repository mount when a source repository is known, a monolithic PUT for small blobs,
 * and chunked PATCHes for large ones. When a connection breaks mid-blob, a GET on the upload URL
 * tells how many bytes arrived, and the upload goes on from there.
 *
 * A large file whose digest is not known yet (a checkpoint archive being pushed as a layer) is
 * hashed as it is sent (`uploadHashing`): the digest goes with the final PUT, as the distribution
 * API allows, so the file is read once instead of once to hash and once to send.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { digestFile, SentBytesHash } from './digest.js';
import { Transform, pipeline, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { KcrError } from '../errors.js';
import type { BlobSource } from './build.js';
import { cancelled } from './digest.js';
import { header, isTransientError, type HttpResponse } from './http.js';
import { shortDigest, throttled, type ProgressCallback } from './progress.js';
import type { RegistryClient } from './registry-client.js';

/** Blobs up to this size go in one PUT; a retry of those simply starts again. */
const MONOLITHIC_MAX = 16 * 1024 * 1024;

export interface UploadOptions {
  /** Repositories on the same registry that may already hold the blob. */
  mountFrom?: string[];
  /** Bytes per PATCH; 0 streams the rest of the blob in one PATCH. */
  chunkSize?: number;
  retries?: number;
  /** Short for blobs; a label like "layer" or "config". */
  label?: string;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export type UploadResult = 'exists' | 'mounted' | 'uploaded';

function bodyOf(
  blob: BlobSource,
  start: number,
  end: number,
  onBytes?: (n: number) => void,
  hash?: SentBytesHash,
): Buffer | Readable {
  if (blob.data) return blob.data.subarray(start, end);
  if (!blob.path) throw new Error(`blob ${blob.descriptor.digest} has neither data nor path`);
  const file = createReadStream(blob.path, { start, end: end - 1, highWaterMark: 256 << 10 });
  if (!onBytes && !hash) return file;
  // Counted in a transform, not with a 'data' listener: that would start the flow before the HTTP
  // client reads, and the bytes sent while a TLS handshake is still going on would be lost.
  let sent = start;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash?.update(chunk);
      onBytes?.((sent += chunk.length));
      done(null, chunk);
    },
  });
  return pipeline(file, counter, (err) => {
    if (err) counter.destroy(err);
  });
}

/** Parses the `Range: 0-<last>` a registry reports for an upload in progress into the next offset. */
export function nextOffset(res: HttpResponse): number | undefined {
  const range = header(res, 'range');
  const match = range ? /^(?:bytes=)?0-(\d+)$/.exec(range.trim()) : null;
  if (!match) return undefined;
  const last = Number(match[1]);
  // distribution reports an empty upload as "0-0" as well; the upload's offset is then ambiguous, and 0 is safe.
  return last === 0 ? 0 : last + 1;
}

async function startUpload(
  client: RegistryClient,
  digest: string,
  mountFrom: string[],
  signal?: AbortSignal,
): Promise<{ mounted: boolean; location?: string }> {
  for (const from of mountFrom) {
    if (from === client.repository) continue;
    const res = await client.request(
      'POST',
      client.url(`blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`),
      { signal },
    );
    if (res.status === 201) {
      await res.body.dump();
      return { mounted: true };
    }
    // 202: the registry could not mount and opened an ordinary upload session instead.
    if (res.status === 202) {
      await res.body.dump();
      return { mounted: false, location: client.resolve(header(res, 'location') ?? '') };
    }
    await res.body.dump();
  }
  const res = await client.request('POST', client.url('blobs/uploads/'), { signal });
  if (res.status !== 202) return client.fail(res, 'starting a blob upload');
  await res.body.dump();
  const location = header(res, 'location');
  if (!location) throw new KcrError('remote', `${client.registry}: blob upload started without a Location`);
  return { mounted: false, location: client.resolve(location) };
}

function withDigest(location: string, digest: string): string {
  const url = new URL(location);
  url.searchParams.set('digest', digest);
  return url.toString();
}

async function putMonolithic(
  client: RegistryClient,
  location: string,
  blob: BlobSource,
  report: (n: number, done?: boolean) => void,
  signal?: AbortSignal,
): Promise<void> {
  const { digest, size } = blob.descriptor;
  const res = await client.request('PUT', withDigest(location, digest), {
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
    body: bodyOf(blob, 0, size, report),
    signal,
  });
  if (res.status !== 201) return client.fail(res, `blob ${digest}`);
  await res.body.dump();
}

class ServerHiccup extends KcrError {
  constructor(message: string) {
    super('remote', message, { hint: 'the registry kept failing; try again later' });
  }
}

/** Sends `[offset, end)` as one PATCH; returns the next Location and offset. */
async function patchChunk(
  client: RegistryClient,
  location: string,
  blob: BlobSource,
  offset: number,
  end: number,
  report: (n: number) => void,
  signal?: AbortSignal,
  hash?: SentBytesHash,
): Promise<{ location: string; offset: number }> {
  const res = await client.request('PATCH', location, {
    headers: {
      'content-type': 'application/octet-stream',
      'content-length': String(end - offset),
      'content-range': `${offset}-${end - 1}`,
    },
    body: bodyOf(blob, offset, end, report, hash),
    signal,
  });
  if (res.status >= 500) {
    // A proxy or registry hiccup: worth asking where the upload stands and going on.
    await res.body.dump();
    throw new ServerHiccup(`${client.registry}: chunk ${offset}-${end - 1} answered ${res.status}`);
  }
  if (res.status !== 202) return client.fail(res, `${blobName(blob)} chunk ${offset}-${end - 1}`);
  await res.body.dump();
  return { location: client.resolve(header(res, 'location') ?? location), offset: nextOffset(res) ?? end };
}

/** Asks the registry how much of an interrupted upload it kept; undefined if it does not know the session. */
async function uploadStatus(
  client: RegistryClient,
  location: string,
  signal?: AbortSignal,
): Promise<{ location: string; offset: number } | undefined> {
  const res = await client.request('GET', location, { signal });
  await res.body.dump();
  if (res.status !== 204 && res.status !== 202 && res.status !== 200) return undefined;
  const offset = nextOffset(res);
  return offset === undefined
    ? undefined
    : { location: client.resolve(header(res, 'location') ?? location), offset };
}

/**
 * Where to go on after a broken PATCH: the registry's offset for the session. distribution 2.x signs
 * the offset into each Location's `_state` and refuses a status query when the file on its side has
 * grown past it (bytes of the broken chunk that did arrive), so there the session can only go on if
 * the break fell between chunks; otherwise a new session starts from byte 0.
 */
async function resumePoint(
  client: RegistryClient,
  first: string,
  latest: string,
  digest: string,
  signal?: AbortSignal,
): Promise<{ location: string; offset: number }> {
  const status =
    (await uploadStatus(client, latest, signal)) ??
    (latest !== first ? await uploadStatus(client, first, signal) : undefined);
  if (status) return status;
  return { location: (await startUpload(client, digest, [], signal)).location!, offset: 0 };
}

const AUTH_EXPIRED = 'authorization expired during an upload';

function retriable(err: unknown): boolean {
  if (err instanceof ServerHiccup) return true;
  if (err instanceof KcrError) {
    if (err.message.endsWith(AUTH_EXPIRED)) return true;
    return (err.code === 'network' || err.code === 'timeout') && isTransientError(err.cause);
  }
  return isTransientError(err);
}

/** `blob sha256:…`, or the label of a blob whose digest is still being computed. */
function blobName(blob: BlobSource): string {
  return blob.descriptor.digest ? `blob ${blob.descriptor.digest}` : 'blob (digest computed while sending)';
}

/**
 * PATCHes the blob from offset 0, going on from the registry's offset after a break, then the final
 * PUT. With `hash`, the digest is that of the bytes sent (the descriptor's is empty); returns it.
 */
async function chunkedUpload(
  client: RegistryClient,
  start: { location: string },
  blob: BlobSource,
  options: UploadOptions,
  report: (n: number, done?: boolean) => void,
  hash?: SentBytesHash,
): Promise<string> {
  const { size } = blob.descriptor;
  const digest = blob.descriptor.digest;
  const chunk = options.chunkSize && options.chunkSize > 0 ? options.chunkSize : size;
  const retries = options.retries ?? 5;
  let first = start.location;
  let state = { location: start.location, offset: 0 };
  for (let failures = 0; state.offset < size;) {
    try {
      const end = Math.min(size, state.offset + chunk);
      // After a break the registry may have kept less than was sent (and hashed): hash from there.
      await hash?.rewindTo(state.offset, options.signal);
      state = await patchChunk(client, state.location, blob, state.offset, end, report, options.signal, hash);
    } catch (err) {
      if (options.signal?.aborted) throw cancelled(err);
      if (!retriable(err) || ++failures > retries) throw err;
      // Give the registry a moment to finish with the broken request before asking where it is.
      await sleep(200 * 2 ** (failures - 1), undefined, { signal: options.signal }).catch(() => undefined);
      state = await resumePoint(client, first, state.location, digest, options.signal);
      if (state.offset === 0) first = state.location;
      options.onProgress?.({
        phase: 'upload',
        label: digest ? `${options.label ?? 'blob'} ${shortDigest(digest)}` : (options.label ?? 'blob'),
        transferred: state.offset,
        total: size,
        resumedAt: state.offset,
      });
    }
  }
  const sent = hash ? hash.digest(size) : digest;
  const res = await client.request('PUT', withDigest(state.location, sent), {
    headers: { 'content-length': '0' },
    signal: options.signal,
  });
  if (res.status !== 201) return client.fail(res, `blob ${sent}`);
  await res.body.dump();
  return sent;
}

/** Uploads one blob unless the registry has it already; says which of the three happened. */
export async function uploadBlob(
  client: RegistryClient,
  blob: BlobSource,
  options: UploadOptions = {},
): Promise<UploadResult> {
  const { digest, size } = blob.descriptor;
  const label = `${options.label ?? 'blob'} ${shortDigest(digest)}`;
  const skipped = (why: 'exists' | 'mounted') => {
    options.onProgress?.({
      phase: 'upload',
      label,
      transferred: size,
      total: size,
      done: true,
      skipped: why,
    });
    return why;
  };
  if ((await client.blobSize(digest, options.signal)) !== undefined) return skipped('exists');
  const report = throttled(options.onProgress, { phase: 'upload', label, total: size });
  const retries = options.retries ?? 5;
  for (let failures = 0; ;) {
    const started = await startUpload(client, digest, options.mountFrom ?? [], options.signal);
    if (started.mounted) return skipped('mounted');
    try {
      if (size <= MONOLITHIC_MAX && !options.chunkSize)
        await putMonolithic(client, started.location!, blob, report, options.signal);
      else await chunkedUpload(client, { location: started.location! }, blob, options, report);
      report(size, true);
      return 'uploaded';
    } catch (err) {
      if (options.signal?.aborted) throw cancelled(err);
      // Only monolithic uploads come back here: they restart as a whole.
      if (!retriable(err) || ++failures > retries || size > MONOLITHIC_MAX || options.chunkSize) throw err;
    }
  }
}

/**
 * Uploads a file whose digest is not known yet, hashing it as it is sent: one read of the file
 * instead of a digest pass and then the upload. Returns the digest and size. Small files (one PUT)
 * are hashed first and go through `uploadBlob`. A large one is always sent: without its digest
 * there is nothing to ask the registry about beforehand (a checkpoint archive is new content).
 */
export async function uploadHashing(
  client: RegistryClient,
  path: string,
  options: UploadOptions = {},
): Promise<{ digest: string; size: number }> {
  const { size } = await stat(path);
  const mediaType = 'application/octet-stream';
  if (size <= MONOLITHIC_MAX && !options.chunkSize) {
    const hashed = await digestFile(path, { signal: options.signal });
    await uploadBlob(client, { descriptor: { mediaType, ...hashed }, path }, options);
    return hashed;
  }
  const label = options.label ?? 'blob';
  const report = throttled(options.onProgress, { phase: 'upload', label, total: size });
  const started = await startUpload(client, '', [], options.signal);
  const blob: BlobSource = { descriptor: { mediaType, digest: '', size }, path };
  const digest = await chunkedUpload(
    client,
    { location: started.location! },
    blob,
    options,
    report,
    new SentBytesHash(path),
  );
  report(size, true);
  return { digest, size };
}
