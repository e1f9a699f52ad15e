export * from './archive.js';
export * from './tar-index.js';
export * from './decompress.js';
export * from './metadata.js';
export * from './engine.js';
export * from './nested-tar.js';
export * from './kubelet-name.js';
export * from './restorers.js';
