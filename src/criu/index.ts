export * from './schema.js';
export * from './magic.js';
export * from './image.js';
export * from './crit-json.js';
export * from './arch.js';
export * as messages from './messages/index.js';
