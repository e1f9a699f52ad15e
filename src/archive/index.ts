/**
 * `kcr/archive`: open a checkpoint archive (CRI-O, containerd or Podman; plain, gzip or zstd; or
 * an extracted directory) and read its members by offset, plus the container facts its metadata
 * holds (`config.dump`, `spec.dump`, ...), the engine that wrote it and which runtimes can restore it. Loads no network code.
 */
export { CheckpointArchive, type ArchiveMember, type OpenOptions, type RandomAccess } from './archive.js';
export type { MemberType } from './tar-index.js';
export { sniffCompression, decompressor, decompressToTemp, type Compression } from './decompress.js';
export {
  readMetadata,
  detectEngine,
  engineByName,
  ociRuntimeOf,
  ENGINE_NAMES,
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
  criStatusDumpSchema,
  type BindMount,
  type ContainerdStatus,
  type CriStatusDump,
  type ConfigDump,
  type NetworkStatus,
  type SpecDump,
  type SpecMount,
} from './metadata.js';
export { NestedTar } from './nested-tar.js';
export { restoreFit, restorersOf, RESTORER_NAMES, type Restorer, type RestoreFit } from './restorers.js';
export { parseKubeletArchiveName, splitNamespaceContainer, type KubeletArchiveName } from './kubelet-name.js';
