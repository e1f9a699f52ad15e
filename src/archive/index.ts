/**
 * `kcr/archive`: open a checkpoint archive (CRI-O, containerd or Podman; plain, gzip or zstd; or
 * an extracted directory) and read its members by offset, plus the container facts its metadata
 * holds (`config.dump`, `spec.dump`, ...) and the engine that wrote it. Loads no network code.
 */
export { CheckpointArchive, type ArchiveMember, type OpenOptions, type RandomAccess } from './archive.js';
export type { MemberType } from './tar-index.js';
export { sniffCompression, decompressToTemp, type Compression } from './decompress.js';
export {
  readMetadata,
  detectEngine,
  LOG_MEMBERS,
  type ArchiveMetadata,
  type CheckpointInfo,
  type Engine,
} from './engine.js';
export {
  readJsonMember,
  readOptionalJson,
  configDumpSchema,
  specDumpSchema,
  bindMountsSchema,
  deletedFilesSchema,
  networkStatusSchema,
  containerdStatusSchema,
  type BindMount,
  type ConfigDump,
  type NetworkStatus,
  type SpecDump,
  type SpecMount,
} from './metadata.js';
export { NestedTar } from './nested-tar.js';
export { parseKubeletArchiveName, splitNamespaceContainer, type KubeletArchiveName } from './kubelet-name.js';
