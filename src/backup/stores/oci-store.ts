/**
 * `oci://registry/repository`: each backup is an image in one repository, tagged
 * `<namespace>.<pod>.<container>.<backup id>` (the id begins with the UTC time, and makes two
 * backups of one container in the same second two tags), its record in the manifest's
 * `io.kcr.backup.record` annotation.
 *
 * A backup whose data is a plain checkpoint archive is a real checkpoint image, built by oci's
 * buildCheckpointImage (the archive is the layer, byte for byte, with the annotations CRI-O,
 * containerd and Podman look for), so a node can restore straight from the tag. Encrypted to PEM
 * public keys (`PutOptions.encryptTo`), it is an ocicrypt checkpoint image, as `kcr image build
 * --encrypt-to` makes one, which skopeo and CRI-O open with the private key. Other data (age
 * ciphertext, a compressed Podman export) is kept as an artifact: the same manifest shape with a
 * kcr media type, read back and restored through a local copy.
 *
 * A put spools the data into a private temp file (the registry wants the digest before it commits
 * a blob, and the upload then resumes from the registry's offset after a broken connection), pushes
 * the blobs, and pushes the tag last: an interrupted put leaves untagged blobs, which nothing lists
 * and the registry's garbage collection reclaims. A removal pushes a tombstone manifest (no data)
 * under the same tag and deletes the old manifest by digest where the registry allows; blobs are
 * never deleted, since another backup in the repository may share them.
 */
import type { KeyObject } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KcrError } from '../../errors.js';
import {
  ANNOTATIONS,
  buildCheckpointImage,
  imageBlobs,
  MEDIA_TYPES,
  parseReference,
  RegistryClient,
  sha256Digest,
  uploadBlob,
  withDigest,
  type BlobSource,
  type BuiltImage,
  type ImageReference,
  type OciManifest,
} from '../../oci/index.js';
import { manifestSchema } from '../../oci/documents.js';
import { mapLimit } from '../../util/concurrency.js';
import { DigestStream } from '../../util/digest-stream.js';
import { makeTempDir } from '../../util/temp-dir.js';
import { parseJsonWith } from '../../util/validate.js';
import {
  BACKUP_ID_PATTERN,
  parseStoreEntry,
  type BackupRecord,
  type StoreEntry,
  type Tombstone,
} from '../record.js';
import { backupNotFound, storeWriteError } from './store-errors.js';
import type { StoreOptions } from './store-url.js';
import type { PutOptions, Store, StoreOperationOptions, WrittenData } from './store.js';

export const RECORD_ANNOTATION = 'io.kcr.backup.record';
/** The config of a backup that is not a checkpoint image (its data is not a plain archive). */
const ARTIFACT_CONFIG = 'application/vnd.kcr.backup.config.v1+json';
const ARTIFACT_DATA = 'application/vnd.kcr.backup.data.v1';
/** Manifests read at once while listing. */
const LIST_CONCURRENCY = 8;
const TAG_ID = /\.(\d{8}t\d{6}z-[0-9a-f]{8})$/;

/** A tag part: lower-case DNS-ish characters only, `_` for a missing one. */
function tagPart(value: string | undefined, max: number): string {
  const clean = (value ?? '').toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  return clean.slice(0, max) || '_';
}

/** `<namespace>.<pod>.<container>.<id>`, at most 128 characters as the distribution spec allows. */
export function backupTag(entry: Pick<StoreEntry, 'id' | 'source'>): string {
  const s = entry.source;
  // 128 - the id (25) - three dots leaves 100: pods get the most, as their names are the longest.
  return [tagPart(s.namespace, 25), tagPart(s.pod, 50), tagPart(s.container, 25), entry.id].join('.');
}

/**
 * The manifest with the record in its annotations, beside the checkpoint annotations, and the node
 * the record names (restore's default target, as `kcr image build` records it).
 */
function withRecord(
  manifest: OciManifest,
  record: BackupRecord,
  blobs: BlobSource[],
): { manifest: OciManifest; blobs: BlobSource[] } {
  const annotations = {
    ...manifest.annotations,
    ...(record.source.node ? { [ANNOTATIONS.kcrSourceNode]: record.source.node } : {}),
    [RECORD_ANNOTATION]: JSON.stringify(record),
  };
  return { manifest: { ...manifest, annotations }, blobs };
}

export class OciStore implements Store {
  readonly url: string;
  readonly encryptsImages = true;
  private client: Promise<RegistryClient> | undefined;

  constructor(
    readonly repository: string,
    private readonly options: StoreOptions = {},
  ) {
    this.url = `oci://${repository}`;
  }

  private connect(signal?: AbortSignal): Promise<RegistryClient> {
    const ref = parseReference(this.repository);
    this.client ??= RegistryClient.connect(ref.registry, ref.repository, 'push', {
      ...(this.options.insecure ? { insecure: true } : {}),
      ...(signal ? { signal } : {}),
    });
    // A failed connection is not kept: the next call tries again.
    this.client.catch(() => (this.client = undefined));
    return this.client;
  }

  async put(
    id: string,
    data: Readable,
    seal: (written: WrittenData) => BackupRecord | Promise<BackupRecord>,
    options: PutOptions = {},
  ): Promise<BackupRecord> {
    if (!BACKUP_ID_PATTERN.test(id)) throw backupNotFound(id, this.url);
    const temp = await makeTempDir('oci-store');
    try {
      const path = join(temp.dir, 'data');
      const digest = new DigestStream(options.onBytes);
      await pipeline([data, digest, createWriteStream(path, { mode: 0o600, flags: 'wx' })], {
        signal: options.signal,
      });
      const plain = { size: digest.bytes, sha256: digest.hex() };
      const encrypted = options.encryptTo?.length
        ? await this.encryptedImage(path, options.encryptTo)
        : undefined;
      try {
        const record = await seal(encrypted?.written ?? plain);
        const client = await this.connect(options.signal);
        const { manifest, blobs } = encrypted
          ? withRecord(encrypted.image.manifest, record, imageBlobs(encrypted.image))
          : await this.image(record, path, plain);
        for (const blob of blobs) await uploadBlob(client, blob, { label: 'backup', signal: options.signal });
        // The tag last: until it is pushed, nothing lists this backup.
        await this.putManifest(client, backupTag(record), manifest, options.signal);
        return record;
      } finally {
        await encrypted?.image.dispose();
      }
    } catch (err) {
      throw storeWriteError(this.url, err, 'cannot push the backup');
    } finally {
      await temp.remove();
    }
  }

  /**
   * An ocicrypt checkpoint image of the spooled archive (oci's build, as `kcr image build
   * --encrypt-to` makes it): the layer is encrypted to `recipients`, the annotations stay readable.
   */
  private async encryptedImage(
    path: string,
    recipients: readonly KeyObject[],
  ): Promise<{ image: BuiltImage; written: WrittenData }> {
    const image = await buildCheckpointImage(path, { encryptTo: recipients });
    const layer = image.layer.descriptor;
    return { image, written: { size: layer.size, sha256: layer.digest.replace(/^sha256:/, '') } };
  }

  /**
   * The image of a backup: a checkpoint image when the data is a plain checkpoint archive (its
   * layer then is the data itself: same digest), an artifact otherwise.
   */
  private async image(
    record: BackupRecord,
    path: string,
    written: WrittenData,
  ): Promise<{ manifest: OciManifest; blobs: BlobSource[] }> {
    if (!record.encryption) {
      const built = await buildCheckpointImage(path).catch((err: unknown) => {
        // Data that is not a checkpoint archive is kept as an artifact; anything else is a failure.
        if (err instanceof KcrError && err.code === 'invalid-input') return undefined;
        throw err;
      });
      if (built) {
        try {
          if (built.layer.descriptor.digest === `sha256:${written.sha256}`)
            return withRecord(built.manifest, record, imageBlobs(built));
        } finally {
          await built.dispose();
        }
      }
    }
    const config = Buffer.from('{}');
    const configBlob = {
      descriptor: { mediaType: ARTIFACT_CONFIG, digest: sha256Digest(config), size: config.length },
      data: config,
    };
    const dataBlob = {
      descriptor: { mediaType: ARTIFACT_DATA, digest: `sha256:${written.sha256}`, size: written.size },
      path,
    };
    return {
      manifest: {
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociManifest,
        config: configBlob.descriptor,
        layers: [dataBlob.descriptor],
        annotations: { [RECORD_ANNOTATION]: JSON.stringify(record) },
      },
      blobs: [dataBlob, configBlob],
    };
  }

  private async putManifest(
    client: RegistryClient,
    tag: string,
    manifest: OciManifest,
    signal?: AbortSignal,
  ): Promise<string> {
    return client.putManifest(tag, Buffer.from(JSON.stringify(manifest)), MEDIA_TYPES.ociManifest, signal);
  }

  private async manifest(
    client: RegistryClient,
    reference: string,
    signal?: AbortSignal,
  ): Promise<{ manifest: OciManifest; digest: string; entry: StoreEntry }> {
    const { bytes, digest } = await client.getManifest(reference, signal);
    const where = `${this.url}:${reference}`;
    const manifest = parseJsonWith(manifestSchema, bytes.toString('utf8'), { what: where });
    const text = manifest.annotations?.[RECORD_ANNOTATION];
    if (text === undefined) {
      throw new KcrError('invalid-input', `${where}: not a kcr backup (no ${RECORD_ANNOTATION} annotation)`, {
        hint: 'the repository holds other images too; give kcr a repository of its own',
      });
    }
    return { manifest, digest, entry: parseStoreEntry(text, where) };
  }

  private async tagOf(client: RegistryClient, id: string, signal?: AbortSignal): Promise<string> {
    if (BACKUP_ID_PATTERN.test(id)) {
      const tag = (await this.tags(client, signal)).find((t) => t.endsWith(`.${id}`));
      if (tag) return tag;
    }
    throw backupNotFound(id, this.url);
  }

  /** The repository's backup tags; a repository that does not exist yet holds none. */
  private async tags(client: RegistryClient, signal?: AbortSignal): Promise<string[]> {
    try {
      return (await client.listTags(signal)).filter((t) => TAG_ID.test(t));
    } catch (err) {
      if (err instanceof KcrError && err.code === 'not-found') return [];
      throw err;
    }
  }

  async list(options: StoreOperationOptions = {}): Promise<StoreEntry[]> {
    const client = await this.connect(options.signal);
    const tags = await this.tags(client, options.signal);
    const entries = await mapLimit(
      tags,
      LIST_CONCURRENCY,
      async (tag) => {
        const { entry } = await this.manifest(client, tag, options.signal);
        if (!tag.endsWith(`.${entry.id}`)) {
          throw new KcrError('integrity', `${this.url}:${tag}: holds the record of ${entry.id}`, {
            hint: 'a tag was moved between backups; run `kcr verify` on both',
          });
        }
        return entry;
      },
      options.signal,
    );
    return entries;
  }

  async getEntry(id: string, options: StoreOperationOptions = {}): Promise<StoreEntry> {
    const client = await this.connect(options.signal);
    return (await this.manifest(client, await this.tagOf(client, id, options.signal), options.signal)).entry;
  }

  async openData(id: string, options: StoreOperationOptions = {}): Promise<Readable> {
    const client = await this.connect(options.signal);
    const { manifest, entry } = await this.manifest(
      client,
      await this.tagOf(client, id, options.signal),
      options.signal,
    );
    const layer = manifest.layers[0];
    if (entry.kind === 'Tombstone' || !layer) throw backupNotFound(id, this.url, entry);
    return (await client.getBlob(layer.digest, options.signal)).body;
  }

  async checkpointImage(
    record: BackupRecord,
    options: StoreOperationOptions = {},
  ): Promise<ImageReference | undefined> {
    const client = await this.connect(options.signal);
    const { manifest, digest } = await this.manifest(client, backupTag(record), options.signal);
    if (manifest.config.mediaType === ARTIFACT_CONFIG) return undefined;
    return withDigest(parseReference(this.repository), digest);
  }

  async updateRecord(record: BackupRecord, options: StoreOperationOptions = {}): Promise<void> {
    const client = await this.connect(options.signal);
    const tag = backupTag(record);
    const { manifest, entry } = await this.manifest(client, tag, options.signal);
    if (entry.kind === 'Tombstone') throw backupNotFound(record.id, this.url, entry);
    const annotations = { ...manifest.annotations, [RECORD_ANNOTATION]: JSON.stringify(record) };
    await this.putManifest(client, tag, { ...manifest, annotations }, options.signal);
  }

  async remove(tombstone: Tombstone, options: StoreOperationOptions = {}): Promise<void> {
    const client = await this.connect(options.signal);
    const tag = backupTag(tombstone);
    const old = await this.manifest(client, tag, options.signal);
    const config = Buffer.from('{}');
    const configBlob = {
      descriptor: { mediaType: ARTIFACT_CONFIG, digest: sha256Digest(config), size: config.length },
      data: config,
    };
    await uploadBlob(client, configBlob, { label: 'tombstone', signal: options.signal });
    await this.putManifest(
      client,
      tag,
      {
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociManifest,
        config: configBlob.descriptor,
        layers: [],
        annotations: { [RECORD_ANNOTATION]: JSON.stringify(tombstone) },
      },
      options.signal,
    );
    // The old manifest, now untagged: deleted where the registry allows it (distribution needs
    // storage.delete.enabled), so that its garbage collection can reclaim the data.
    const res = await client.request('DELETE', client.url(`manifests/${old.digest}`), {
      signal: options.signal,
    });
    await res.body.dump();
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await (await client?.catch(() => undefined))?.close();
  }
}
