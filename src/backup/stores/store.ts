/**
 * One interface for every place backups live (`file://`, `s3://`, `oci://`). A store holds, per
 * backup, the data (the archive, or its ciphertext) and the record beside it; the record is
 * committed last, so a store lists only complete backups and an interrupted put leaves nothing
 * listed.
 */
import type { KeyObject } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ImageReference } from '../../oci/index.js';
import type { BackupRecord, StoreEntry, Tombstone } from '../record.js';

/** What actually arrived in the store, measured on the way in. */
export interface WrittenData {
  size: number;
  sha256: string;
}

export interface PutOptions {
  signal?: AbortSignal;
  /**
   * `oci://` only (see `Store.encryptsImages`): keep the backup as an ocicrypt image encrypted to
   * these public keys. The data given is then the plaintext archive, and `written` (what the
   * record's `data` holds) is the encrypted layer.
   */
  encryptTo?: readonly KeyObject[];
  /** Bytes written so far, for progress bars. */
  onBytes?: (bytes: number) => void;
  /**
   * The data is exactly this local file's bytes. A store that can copy a file faster than it can
   * stream one (`file://`: a copy in the kernel) reads the file itself and destroys `data`
   * unread; the others stream `data` as always.
   */
  sourceFile?: string;
}

export interface StoreOperationOptions {
  signal?: AbortSignal;
}

export interface Store {
  /** The store's URL, without credentials: how records and messages name it. */
  readonly url: string;
  /** True for stores that encrypt as ocicrypt images themselves (`oci://`), with `PutOptions.encryptTo`. */
  readonly encryptsImages?: boolean;
  /**
   * Streams `data` in under a temporary name, measures it, asks `seal` for the record (which may
   * refuse by throwing, e.g. when the sha256 is not the one expected), then commits data and record.
   * On any failure nothing is listed and the temporary data is removed.
   */
  put(
    id: string,
    data: Readable,
    seal: (written: WrittenData) => BackupRecord | Promise<BackupRecord>,
    options?: PutOptions,
  ): Promise<BackupRecord>;
  /** Every record and tombstone in the store, in no particular order. */
  list(options?: StoreOperationOptions): Promise<StoreEntry[]>;
  /** One record or tombstone; a `not-found` KcrError when the store has none by that id. */
  getEntry(id: string, options?: StoreOperationOptions): Promise<StoreEntry>;
  /** The stored bytes of a backup (ciphertext when encrypted). */
  openData(id: string, options?: StoreOperationOptions): Promise<Readable>;
  /** Atomically replaces the record of an existing backup (pin, unpin). */
  updateRecord(record: BackupRecord, options?: StoreOperationOptions): Promise<void>;
  /**
   * Removes a backup's data and puts `tombstone` in its record's place, so that the chain stays
   * checkable. The tombstone is written first: an interruption leaves a tombstone and stray data,
   * never a record whose data is gone.
   */
  remove(tombstone: Tombstone, options?: StoreOperationOptions): Promise<void>;
  /**
   * Set by stores whose backups can be checkpoint images (`oci://`): the image of this backup,
   * pinned by digest, which a restore runs as it is instead of reading the data back; undefined
   * when this backup is not one (its data is encrypted or not a plain archive).
   */
  checkpointImage?(
    record: BackupRecord,
    options?: StoreOperationOptions,
  ): Promise<ImageReference | undefined>;
  close(): Promise<void>;
}
