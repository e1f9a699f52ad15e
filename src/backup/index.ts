/** Backups: stores named by URL, the records beside the data, the catalog, and the hash chain. */
export * from './record.js';
export * from './chain.js';
export * from './catalog.js';
export * from './stores.js';
export * from './backup-archive.js';
export * from './backup-admin.js';
export type * from './stores/store.js';
export * from './stores/store-url.js';
export { openStore } from './stores/open-store.js';
export { FileStore } from './stores/file-store.js';
export type * from './encryption/types.js';
export * from './read-backup.js';
export * from './retention.js';
export * from './prune.js';
export * from './verify-deep.js';
export { S3Store } from './stores/s3-store.js';
export * from './backup-pods.js';
export * from './backup-pod-checkpoint.js';
