/**
 * `s3://bucket/prefix`: AWS S3 and anything that speaks its API (MinIO, Ceph, s3rver), through the
 * AWS SDK v3 with lib-storage's multipart upload. Layout under the prefix:
 *
 *   backups/<id>/data          the stored bytes (multipart for large archives)
 *   backups/<id>/record.json   the record, written last: it is what makes a backup exist
 *
 * An interrupted put aborts its multipart upload (lib-storage) or deletes its data object, and in
 * any case wrote no record, so nothing is listed. Credentials come the AWS way (environment, shared
 * config and credentials files, `--profile`, SSO, instance roles). Only plain S3 calls are used,
 * so the same code talks to AWS, MinIO and s3rver.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import { KcrError } from '../../errors.js';
import { DigestStream } from '../../util/digest-stream.js';
import {
  errorCodes,
  isConnectionDropped,
  isConnectionRefused,
  isDnsFailure,
  isHostUnreachable,
  isTimeout,
  isTlsVerificationError,
} from '../../util/net-errors.js';
import {
  BACKUP_ID_PATTERN,
  parseStoreEntry,
  serializeEntry,
  type BackupRecord,
  type StoreEntry,
  type Tombstone,
} from '../record.js';
import { backupNotFound, dataMissing, recordMisplaced, storeWriteError } from './store-errors.js';
import type { PutOptions, Store, StoreOperationOptions, WrittenData } from './store.js';
import type { StoreLocation, StoreOptions } from './store-url.js';

/** 16 MiB parts, 4 in flight: at most 64 MiB buffered, and 10,000 parts reach 160 GiB. */
const PART_SIZE = 16 * 1024 * 1024;
const QUEUE_SIZE = 4;

/**
 * The region the AWS chain names (environment, ~/.aws/config, the profile), else us-east-1, S3's
 * own default (followRegionRedirects corrects it for buckets elsewhere; MinIO and Ceph ignore it).
 * It is given to the client as its region provider: replacing `client.config.region` after the
 * client is built does not reach the signer and endpoint, which still failed "Region is missing".
 */
function defaultRegion(profile: string | undefined): () => Promise<string> {
  let region: Promise<string> | undefined;
  return () =>
    (region ??= (async () => {
      const probe = new S3Client(profile !== undefined ? { profile } : {});
      try {
        return await probe.config.region();
      } catch {
        return 'us-east-1';
      } finally {
        probe.destroy();
      }
    })());
}

export class S3Store implements Store {
  readonly url: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly base: string;

  constructor(location: Extract<StoreLocation, { kind: 's3' }>, options: StoreOptions = {}) {
    this.bucket = location.bucket;
    this.base = location.prefix ? `${location.prefix}/backups/` : 'backups/';
    this.url = `s3://${location.bucket}${location.prefix ? `/${location.prefix}` : ''}`;
    // The SDK warns on stderr that future releases need Node 22; kcr supports Node 20, and its
    // stderr belongs to kcr's own messages.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new S3Client({
      region: options.region ?? defaultRegion(options.profile),
      ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
      ...(options.profile !== undefined ? { profile: options.profile } : {}),
      forcePathStyle: Boolean(options.pathStyle),
      // A wrong or missing region is corrected from S3's answer instead of failing.
      followRegionRedirects: true,
      // Checksums only where S3 requires them: MinIO, Ceph and older gateways reject the rest.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  private key(id: string, file: 'data' | 'record.json'): string {
    if (!BACKUP_ID_PATTERN.test(id)) throw backupNotFound(id, this.url);
    return `${this.base}${id}/${file}`;
  }

  /** Words an SDK failure for the user; KcrErrors pass through. */
  private fail(err: unknown, what: string): KcrError {
    if (err instanceof KcrError) return err;
    if (err instanceof Error && err.name === 'AbortError') {
      return new KcrError('cancelled', `${this.url}: cancelled; nothing was stored`, { cause: err });
    }
    if (err instanceof Error && err.name === 'CredentialsProviderError') {
      return new KcrError('auth', `${this.url}: no AWS credentials found`, {
        hint: 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (or kcr store add … --profile P)',
        cause: err,
      });
    }
    if (err instanceof S3ServiceException) {
      const status = err.$metadata.httpStatusCode;
      if (err.name === 'NoSuchBucket') {
        return new KcrError('not-found', `${this.url}: bucket ${this.bucket} does not exist`, {
          hint: 'create the bucket first (aws s3 mb, mc mb), or check the URL and --endpoint',
          cause: err,
        });
      }
      if (
        status === 403 ||
        err.name === 'AccessDenied' ||
        err.name === 'InvalidAccessKeyId' ||
        err.name === 'SignatureDoesNotMatch'
      ) {
        return new KcrError('auth', `${this.url}: ${what}: access denied (${err.name})`, {
          hint: 'check the credentials and that they may read and write this bucket and prefix',
          cause: err,
        });
      }
      return new KcrError('remote', `${this.url}: ${what}: ${err.name}: ${err.message}`, {
        hint: 'the S3 server refused the request: check the bucket, --endpoint and --region (kcr store list -o wide)',
        cause: err,
      });
    }
    const network = networkProblem(err);
    if (network) {
      return new KcrError('network', `${this.url}: cannot reach the S3 endpoint: ${network}`, {
        hint: 'check --endpoint (kcr store list -o wide shows it) and that the server is up',
        cause: err,
      });
    }
    return storeWriteError(this.url, err, what);
  }

  async put(
    id: string,
    data: Readable,
    seal: (written: WrittenData) => BackupRecord | Promise<BackupRecord>,
    options: PutOptions = {},
  ): Promise<BackupRecord> {
    const dataKey = this.key(id, 'data');
    const recordKey = this.key(id, 'record.json');
    if (await this.exists(recordKey, options)) {
      throw new KcrError('conflict', `${this.url}: a backup with id ${id} already exists`);
    }
    const abort = new AbortController();
    const onAbort = () => abort.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let uploaded = false;
    try {
      const digest = new DigestStream(options.onBytes);
      // A failing source must fail the upload: pipe() alone would leave the digest waiting forever.
      data.once('error', (err) => digest.destroy(err));
      const upload = new Upload({
        client: this.client,
        params: { Bucket: this.bucket, Key: dataKey, Body: data.pipe(digest) },
        partSize: PART_SIZE,
        queueSize: QUEUE_SIZE,
        leavePartsOnError: false,
        abortController: abort,
      });
      await upload.done();
      uploaded = true;
      const record = await seal({ size: digest.bytes, sha256: digest.hex() });
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: dataKey }), {
        abortSignal: abort.signal,
      });
      if (head.ContentLength !== record.data.size) {
        throw new KcrError(
          'integrity',
          `${this.url}: ${dataKey} holds ${head.ContentLength} bytes, expected ${record.data.size}`,
          {
            hint: 'the upload was cut short or changed on the server; nothing was stored',
          },
        );
      }
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: recordKey,
          Body: serializeEntry(record),
          ContentType: 'application/json',
        }),
        { abortSignal: abort.signal },
      );
      return record;
    } catch (err) {
      if (uploaded) {
        await this.client
          .send(new DeleteObjectCommand({ Bucket: this.bucket, Key: dataKey }))
          .catch(() => undefined);
      }
      throw this.fail(err, 'cannot store the backup');
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  private async exists(key: string, options: StoreOperationOptions): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), abortOption(options));
      return true;
    } catch (err) {
      if (
        err instanceof S3ServiceException &&
        (err.name === 'NotFound' || err.$metadata.httpStatusCode === 404)
      ) {
        // HEAD has no body, so a missing bucket also answers 404: tell them apart by listing.
        if (err.name === 'NoSuchBucket') throw this.fail(err, 'cannot read');
        return false;
      }
      throw this.fail(err, 'cannot read');
    }
  }

  async list(options: StoreOperationOptions = {}): Promise<StoreEntry[]> {
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.base, ContinuationToken: token }),
          abortOption(options),
        );
        for (const object of page.Contents ?? []) {
          const key = object.Key ?? '';
          const id = key.slice(this.base.length).split('/')[0] ?? '';
          if (key === `${this.base}${id}/record.json` && BACKUP_ID_PATTERN.test(id)) keys.push(id);
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw this.fail(err, 'cannot list');
    }
    const entries: StoreEntry[] = [];
    // Records are small: fetch 16 at a time.
    for (let i = 0; i < keys.length; i += 16) {
      entries.push(...(await Promise.all(keys.slice(i, i + 16).map((id) => this.getEntry(id, options)))));
    }
    return entries;
  }

  async getEntry(id: string, options: StoreOperationOptions = {}): Promise<StoreEntry> {
    const key = this.key(id, 'record.json');
    try {
      const answer = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key }),
        abortOption(options),
      );
      const text = (await answer.Body?.transformToString('utf8')) ?? '';
      const entry = parseStoreEntry(text, `${this.url}/backups/${id}/record.json`);
      if (entry.id !== id) {
        throw recordMisplaced(`${this.url}: ${key}`, entry.id, id);
      }
      return entry;
    } catch (err) {
      if (err instanceof S3ServiceException && err.name === 'NoSuchKey') throw backupNotFound(id, this.url);
      throw this.fail(err, 'cannot read');
    }
  }

  async openData(id: string, options: StoreOperationOptions = {}): Promise<Readable> {
    const entry = await this.getEntry(id, options);
    if (entry.kind === 'Tombstone') throw backupNotFound(id, this.url, entry);
    try {
      const answer = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.key(id, 'data') }),
        abortOption(options),
      );
      if (!(answer.Body instanceof Readable)) throw new Error('the SDK returned no stream');
      return answer.Body;
    } catch (err) {
      if (err instanceof S3ServiceException && err.name === 'NoSuchKey') {
        throw dataMissing(this.url, id, err);
      }
      throw this.fail(err, 'cannot read');
    }
  }

  async updateRecord(record: BackupRecord, options: StoreOperationOptions = {}): Promise<void> {
    await this.getEntry(record.id, options);
    await this.putEntry(record, options);
  }

  private async putEntry(entry: StoreEntry, options: StoreOperationOptions): Promise<void> {
    try {
      // A PUT replaces an object whole: readers see the old record or the new one, never a mix.
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key(entry.id, 'record.json'),
          Body: serializeEntry(entry),
          ContentType: 'application/json',
        }),
        abortOption(options),
      );
    } catch (err) {
      throw this.fail(err, 'cannot write the record');
    }
  }

  async remove(tombstone: Tombstone, options: StoreOperationOptions = {}): Promise<void> {
    await this.getEntry(tombstone.id, options);
    await this.putEntry(tombstone, options);
    try {
      await this.client.send(
        new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(tombstone.id, 'data') }),
        abortOption(options),
      );
    } catch (err) {
      throw this.fail(err, 'cannot delete the data');
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

function abortOption(options: StoreOperationOptions): { abortSignal?: AbortSignal } {
  return options.signal ? { abortSignal: options.signal } : {};
}

/** What went wrong on the wire, in a few words, or undefined when it was not the network. */
function networkProblem(err: unknown): string | undefined {
  const codes = errorCodes(err);
  if (codes.some(isConnectionRefused)) return 'connection refused';
  if (codes.some(isDnsFailure)) return 'host not found';
  if (codes.some(isHostUnreachable)) return 'host unreachable';
  if (codes.some(isTimeout)) return 'timed out';
  if (codes.some(isConnectionDropped)) return 'connection dropped';
  if (codes.some(isTlsVerificationError)) return 'TLS certificate not trusted';
  return undefined;
}
