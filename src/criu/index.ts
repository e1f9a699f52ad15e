/**
 * `kcr/criu`: decode CRIU image files (the magic, the framing and the protobuf messages, field
 * for field as `crit decode` prints them) and read a process's memory through its pagemap.
 * Works on bytes; depends on nothing else of kcr's.
 */
export {
  decodeImage,
  decodeEntries,
  entriesAs,
  readMagic,
  canDecode,
  type DecodedImage,
  type ImageEntry,
  type EntryExtra,
} from './image.js';
export { toCritJson } from './crit-json.js';
export { magicName, isRawImage, MAGICS, type MagicName } from './magic.js';
export {
  ProcessMemory,
  type ByteSource,
  type MemoryRead,
  type MissingRange,
  type MissingReason,
} from './memory.js';
export { buildPagemap, type Pagemap, type PageRun } from './pagemap.js';
export { decodePagemap, type DecodedPagemap } from './pagemap-decode.js';
export { ociArchitecture, architectureFromCoreImage } from './arch.js';
export { decodeMessage, type Decoded, type DecodedOf, type MessageSpec } from './schema.js';
/** The message definitions kcr decodes (core, mm, pstree, files, sockets, ...), by CRIU's names. */
export * as messages from './messages/index.js';
