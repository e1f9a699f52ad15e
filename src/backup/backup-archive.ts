/**
 * `kcr backup ARCHIVE`: one archive at hand into a store. The archive is read once: it streams
 * through the plaintext digest, the cipher (when encrypting) and the store's own digest in one
 * pass, so a GiB archive costs one read and flat memory.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { KcrError, errnoCode, fileError } from '../errors.js';
import { withCheckpoint } from '../forensics/checkpoint.js';
import { summarize } from '../forensics/summary.js';
// The one function, not oci/index.js, whose registry client would load the HTTP stack for nothing.
import { publicKeyFingerprint } from '../oci/ocicrypt.js';
import { isJsonObject } from '../util/json.js';
import { chainHead } from './chain.js';
import type { StreamEncryption } from './encryption/types.js';
import {
  chainKey,
  newBackupId,
  RECORD_API_VERSION,
  sealRecord,
  type BackupRecord,
  type BackupSource,
} from './record.js';
import type { Store } from './stores/store.js';

export interface BackupArchiveOptions {
  /** The Pod object the archive was taken from (default: `ARCHIVE.pod.json` when it exists). */
  podObject?: Record<string, unknown>;
  /** Labels to record (default: the Pod object's labels). */
  labels?: Record<string, string>;
  /** Who the archive is of, as the API server named them (default: what the archive's metadata says). */
  target?: { namespace: string; pod: string; container: string };
  /** The node the archive was taken on (default: the Pod object's `spec.nodeName`). */
  node?: string;
  /** The sha256 the archive must have (e.g. as the kubelet copy measured it); a mismatch stores nothing. */
  expectedSha256?: string;
  encryption?: { cipher: StreamEncryption; recipients: readonly string[] };
  /**
   * For `oci://` stores: keep the backup as an ocicrypt image encrypted to these public keys (RSA
   * or EC), which CRI-O restores from directly when it holds a private key; the record names each
   * key by its fingerprint.
   */
  ocicryptTo?: readonly KeyObject[];
  signal?: AbortSignal;
  /** Bytes of the archive read so far, and its total. */
  onProgress?: (done: number, total: number) => void;
  now?: () => Date;
}

/** The Pod object `kcr checkpoint` saves beside an archive, if there is one. */
export async function readSavedPod(archivePath: string): Promise<Record<string, unknown> | undefined> {
  const path = `${archivePath}.pod.json`;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw fileError(path, err);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new KcrError('invalid-input', `${path}: not JSON: ${(err as Error).message}`, {
      hint: 'this file is the Pod object `kcr checkpoint` saved; remove it to back up the archive without it',
      cause: err,
    });
  }
  if (!isJsonObject(json) || json.kind !== 'Pod') {
    throw new KcrError('invalid-input', `${path}: not a Pod object`, {
      hint: 'this file is the Pod object `kcr checkpoint` saved; remove it to back up the archive without it',
    });
  }
  return json;
}

function podLabels(pod: Record<string, unknown> | undefined): Record<string, string> {
  const metadata = pod?.metadata;
  const labels = isJsonObject(metadata) ? metadata.labels : undefined;
  if (!isJsonObject(labels)) return {};
  return Object.fromEntries(
    Object.entries(labels).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

function podNode(pod: Record<string, unknown> | undefined): string | undefined {
  const spec = pod?.spec;
  const node = isJsonObject(spec) ? spec.nodeName : undefined;
  return typeof node === 'string' && node !== '' ? node : undefined;
}

async function readSource(path: string, node: string | undefined): Promise<BackupSource> {
  const summary = await withCheckpoint(path, async (cp) => summarize(cp));
  const source: BackupSource = { container: summary.container, engine: summary.engine };
  if (summary.namespace) source.namespace = summary.namespace;
  if (summary.pod) source.pod = summary.pod;
  if (node) source.node = node;
  if (summary.image) source.image = summary.image;
  if (summary.imageId) source.imageId = summary.imageId;
  if (summary.checkpointedAt) source.checkpointedAt = summary.checkpointedAt;
  return source;
}

/** The archive's own sha256 and size, when the store sees other bytes (ciphertext). */
class PlainDigest {
  private readonly hash = createHash('sha256');
  bytes = 0;
  constructor(private readonly onBytes: (bytes: number) => void) {}

  update(block: Buffer): void {
    this.hash.update(block);
    this.bytes += block.length;
    this.onBytes(this.bytes);
  }

  /** The same as a pass-through stage of a pipe. */
  stream(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _enc, done: TransformCallback) => {
        this.update(chunk);
        done(null, chunk);
      },
    });
  }

  hex(): string {
    return this.hash.digest('hex');
  }
}

export async function backupArchive(
  store: Store,
  archivePath: string,
  options: BackupArchiveOptions = {},
): Promise<BackupRecord> {
  if (options.ocicryptTo?.length && !store.encryptsImages) {
    throw new KcrError('usage', `${store.url} keeps no ocicrypt images: they are for oci:// stores`, {
      hint: 'encrypt to age recipients (age1…, ssh keys) for file:// and s3:// stores',
    });
  }
  if (options.ocicryptTo?.length && options.encryption) {
    throw new KcrError('usage', 'a backup is encrypted either with age or as an ocicrypt image, not both');
  }
  const size = await stat(archivePath).then(
    (s) => s.size,
    (err: unknown) => {
      throw fileError(archivePath, err);
    },
  );
  const podObject = options.podObject ?? (await readSavedPod(archivePath));
  const source = {
    ...(await readSource(archivePath, options.node ?? podNode(podObject))),
    ...(options.target ?? {}),
  };
  const now = options.now?.() ?? new Date();
  const id = newBackupId(now);
  const key = chainKey(source);
  const previous = chainHead(await store.list({ signal: options.signal }), key);

  // Stored as it is, the archive is hashed once, by the store (its `written` digest is the
  // archive's); only when the store sees other bytes (ciphertext) is the plaintext hashed here too.
  const transformed = Boolean(options.encryption || options.ocicryptTo?.length);
  const plain = transformed ? new PlainDigest((done) => options.onProgress?.(done, size)) : undefined;
  let data: Readable;
  const cipher = options.encryption?.cipher;
  if (options.encryption && cipher?.encryptFile) {
    // The cipher reads the file itself, and hands each block to the digest on the way.
    data = cipher.encryptFile(archivePath, options.encryption.recipients, {
      signal: options.signal,
      onPlaintext: (block) => plain!.update(block),
    });
  } else {
    data = createReadStream(archivePath, { highWaterMark: 1 << 20 });
    if (plain) data = data.pipe(plain.stream());
    if (options.encryption) {
      data = options.encryption.cipher.encrypt(data, options.encryption.recipients, {
        signal: options.signal,
      });
    }
  }
  return store.put(
    id,
    data,
    (written) => {
      const sha256 = plain ? plain.hex() : written.sha256;
      const bytes = plain ? plain.bytes : written.size;
      if (options.expectedSha256 !== undefined && sha256 !== options.expectedSha256.replace(/^sha256:/, '')) {
        throw new KcrError(
          'integrity',
          `${archivePath}: sha256 is ${sha256}, expected ${options.expectedSha256}`,
          {
            hint: 'the archive changed or was damaged in transit; nothing was stored',
          },
        );
      }
      if (bytes !== size) {
        throw new KcrError('integrity', `${archivePath}: read ${bytes} bytes, the file has ${size}`, {
          hint: 'the archive changed while it was read; nothing was stored',
        });
      }
      const draft: Omit<BackupRecord, 'hash'> = {
        apiVersion: RECORD_API_VERSION,
        kind: 'Backup',
        id,
        createdAt: now.toISOString(),
        source,
        labels: options.labels ?? podLabels(podObject),
        archive: { name: basename(archivePath), size: bytes, sha256 },
        data: { size: written.size, sha256: written.sha256 },
        chain: { key, previousHash: previous?.hash ?? null },
        pinned: false,
      };
      if (options.encryption) {
        draft.encryption = {
          format: options.encryption.cipher.format,
          recipients: [...options.encryption.recipients],
        };
      }
      if (options.ocicryptTo?.length) {
        draft.encryption = { format: 'ocicrypt', recipients: options.ocicryptTo.map(publicKeyFingerprint) };
      }
      if (podObject) draft.podObject = podObject;
      return sealRecord(draft);
    },
    {
      signal: options.signal,
      ...(options.ocicryptTo?.length ? { encryptTo: options.ocicryptTo } : {}),
      ...(plain
        ? {}
        : { onBytes: (done: number) => options.onProgress?.(done, size), sourceFile: archivePath }),
    },
  );
}
