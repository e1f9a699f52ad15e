/**
 * `kcr/forensics`: what a checkpoint holds, as plain typed data: open one with `withCheckpoint`,
 * then ask for the process tree, command lines and environment, open files, sockets, mounts,
 * rootfs changes, CRIU statistics, the container log, memory (maps, search, dumps), secrets, or
 * the diff between two checkpoints. Rendering is the caller's; nothing here prints or touches
 * the network.
 */
export { Checkpoint, withCheckpoint } from './checkpoint.js';
export { CheckpointImages, withCheckpointImages } from './checkpoint-images.js';
export {
  inspect,
  INSPECT_VIEWS,
  type Inspection,
  type InspectOptions,
  type InspectView,
  type InspectedProcess,
  type CriuInfo,
} from './inspect.js';
export { summarize, type CheckpointSummary, type CheckpointSizes } from './summary.js';
export { listArchives, KUBELET_CHECKPOINT_DIR, type ListedArchive } from './list.js';
export { processTree, type ProcessInfo, type ThreadInfo } from './ps-tree.js';
export { processArgs, maskEnv, type ProcessArgs, type EnvVar } from './cmdline-env.js';
export { openFiles, type OpenFile, type ProcessFiles } from './open-files.js';
export { sockets, type SocketInfo, type SocketEndpoint } from './sockets.js';
export { mounts, type Mounts, type CriuMount, type RuntimeMount } from './mounts.js';
export { rootfsChanges, type RootfsChanges, type RootfsFile } from './rootfs.js';
export { extractRootfsFile, streamRootfsFile, type ExtractedFile } from './rootfs-extract.js';
export { dumpStats, type DumpStats } from './stats.js';
export { containerLog, type ContainerLog, type LogLine } from './container-log.js';
export { loadDumpImages, type DumpImages } from './images.js';
export { loadImageBytes, type ImageBytes } from './image-file.js';
export { isSecretName, MASK } from './secret-names.js';
export { SECRET_RULES, type SecretRule } from './secret-patterns.js';
export {
  scanSecrets,
  type SecretScan,
  type SecretFinding,
  type SecretScanOptions,
  type SecretSource,
} from './secrets/index.js';
export {
  diffCheckpoints,
  type CheckpointDiff,
  type DiffOptions,
  type DiffSide,
  type ProcessChange,
  type FileChange,
  type SocketChange,
  type EnvChange,
  type MemoryGrowth,
  type RootfsDiff,
  type RootfsEntryChange,
} from './diff/index.js';
export {
  loadMemoryContext,
  processView,
  memorySummary,
  searchMemory,
  compilePattern,
  resolveRange,
  readRange,
  writeRange,
  dumpProcess,
  hexdumpStream,
  type MemoryContext,
  type MemoryImages,
  type MemoryTask,
  type ProcessMemoryView,
  type MemoryMapping,
  type MappingKind,
  type ProcessMemorySummary,
  type MemorySearchOptions,
  type MemorySearchResult,
  type MemoryHit,
  type SearchPattern,
  type AddressRange,
  type WrittenRange,
  type ProcessDump,
  type DumpedMapping,
} from './memory/index.js';
export { containerMetadata, configuredEnv, type ContainerMetadata } from './container-config.js';
// A view inspect could not build is named in `Inspection.errors`; which images each view reads stays inside.
export type { ViewError, ViewName } from './view-errors.js';
export { checkImages, type ImageCheck } from './image-check.js';
