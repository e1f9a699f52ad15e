/**
 * `kcr/backup`: backups people can trust. The public face for the CLI, the in-cluster agent and
 * controller, and the dashboard:
 *
 * - stores named by URL behind one interface (`openStore`, `file://`, `s3://`, `oci://`);
 * - the record beside the data, its hash chain and tombstones;
 * - the SQLite catalog that indexes the stores (`Catalog`, `resolveStore`, `syncStore`);
 * - the operations: back up an archive or running pods, read one back, restore one through ops,
 *   pin and remove, retention and prune, verify (shallow, deep, chain);
 * - encryption of the data (age), behind the `StreamEncryption` hook, or as ocicrypt images, chosen
 *   by the store (`storeEncryption`).
 */
// Records, the hash chain and the catalog
export * from './record.js';
export * from './chain.js';
export * from './catalog.js';
// Stores
export type * from './stores/store.js';
export * from './stores/store-url.js';
export * from './stores.js';
export { openStore } from './stores/open-store.js';
export { FileStore } from './stores/file-store.js';
export { S3Store } from './stores/s3-store.js';
export { OciStore, backupTag } from './stores/oci-store.js';
// Operations
export * from './backup-archive.js';
export * from './backup-pods.js';
export * from './read-backup.js';
export * from './restore-backup.js';
export * from './backup-admin.js';
export * from './retention.js';
export * from './prune.js';
export * from './verify-deep.js';
// Encryption
export * from './encryption/index.js';
export * from './store-encryption.js';
export * from './backup-pod-checkpoint.js';
