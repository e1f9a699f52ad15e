/** kcr's library API. The CLI and the server are thin users of it. */
export * from './errors.js';
export * from './archive/index.js';
export * as criu from './criu/index.js';
export { ProcessMemory, type ByteSource, type MemoryRead, type MissingRange } from './criu/memory.js';
export * from './forensics/index.js';
export { stringifyJson } from './util/json.js';
export * as oci from './oci/index.js';
export * as kube from './kube/index.js';
export * as ops from './ops/index.js';
export * as backup from './backup/index.js';
