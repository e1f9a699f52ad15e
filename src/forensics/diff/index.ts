export * from './diff.js';
export * from './process-diff.js';
export * from './rootfs-diff.js';
