export * from './common.js';
export * from './core.js';
export * from './mm.js';
export * from './files.js';
export * from './sockets.js';
export * from './namespaces.js';
export * from './stats.js';
