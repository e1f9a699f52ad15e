/**
 * `kcr/backup`: backups people can trust. The public face for the CLI, the in-cluster agent and
 * controller, and the dashboard:
 *
 * - stores named by URL behind one interface: `openStore('file:///…' | 's3://…' | 'oci://…')`
 *   returns a `Store` (put, list, getEntry, openData, updateRecord, remove); the classes are
 *   exported for `instanceof` and for stores built by hand;
 * - the record beside the data (`BackupRecord`, `Tombstone`, `StoreEntry`), sealed with its hash
 *   and chained per container (`verifyChains`);
 * - the SQLite catalog that indexes the stores: `Catalog` (`query` for an array, `list` for a
 *   counted, paged stream of rows), `resolveStore` and `syncStore`;
 * - the operations: `backupArchive` (an archive at hand), `backupPods` (checkpoint then store),
 *   `backupPodCheckpoint` (KEP-5823), `readBackup`, `restoreBackup` / `latestBackup`, pin and
 *   remove, retention (`selectForPruning`, `pruneStore`, `pruneNodeDir`), verify (shallow, deep,
 *   chain);
 * - encryption of the data (age), behind the `StreamEncryption` hook, or as ocicrypt images, chosen
 *   by the store (`storeEncryption`).
 *
 * Helpers the operations share (canonical JSON, SQL builders, the STREAM cipher) stay inside.
 */
// Records and the hash chain
export {
  RECORD_API_VERSION,
  BACKUP_ID_PATTERN,
  newBackupId,
  chainKey,
  sealRecord,
  toTombstone,
  parseStoreEntry,
  serializeEntry,
  backupRecordSchema,
  tombstoneSchema,
  storeEntrySchema,
  type BackupSource,
  type BackupRecord,
  type Tombstone,
  type StoreEntry,
} from './record.js';
export {
  chainHead,
  verifyChains,
  type ChainProblem,
  type ChainProblemKind,
  type ChainReport,
} from './chain.js';
// The catalog
export {
  Catalog,
  entryToRow,
  type BackupListing,
  type BackupQuery,
  type BackupRow,
  type CatalogOptions,
  type RowsShape,
  type StoreRow,
  type TextField,
} from './catalog.js';
export { resolveStore, syncStore, type NamedStore } from './stores.js';
// Stores
export type { PutOptions, Store, StoreOperationOptions, WrittenData } from './stores/store.js';
export {
  formatStoreUrl,
  parseStoreUrl,
  storeOptionsSchema,
  type StoreLocation,
  type StoreOptions,
} from './stores/store-url.js';
export { openStore } from './stores/open-store.js';
export { FileStore } from './stores/file-store.js';
export { S3Store } from './stores/s3-store.js';
export { OciStore, backupTag } from './stores/oci-store.js';
// Operations
export { backupArchive, readSavedPod, type BackupArchiveOptions } from './backup-archive.js';
export { backupPods, type BackupPodsOptions, type PodBackupResult } from './backup-pods.js';
export {
  backupPodCheckpoint,
  POD_CHECKPOINT_LABEL,
  type BackupPodCheckpointOptions,
  type PodCheckpointBackup,
} from './backup-pod-checkpoint.js';
export {
  readBackup,
  verifyBackupData,
  type ReadBackupOptions,
  type SinkLike,
  type VerifyResult,
} from './read-backup.js';
export {
  latestBackup,
  restoreBackup,
  type LatestQuery,
  type RestoreBackupOptions,
  type RestoreBackupResult,
} from './restore-backup.js';
export { locateBackup, removeBackup, setPinned } from './backup-admin.js';
export {
  describeAge,
  governingRule,
  retentionRuleSchema,
  selectForPruning,
  type PruneDecision,
  type RetentionItem,
  type RetentionRule,
} from './retention.js';
export { pruneNodeDir, pruneStore, type PruneOptions } from './prune.js';
export { verifyBackupDeep, type DeepVerifyResult } from './verify-deep.js';
// Encryption
export * from './encryption/index.js';
export {
  recipientKind,
  storeEncryption,
  type BackupEncryption,
  type RecipientKind,
  type RecipientText,
} from './store-encryption.js';
