/**
 * `kcr/ops`, operations: the multi-step jobs kcr does against a cluster and a registry, each one async
 * function taking a typed options object and returning a typed result. The CLI, the backup
 * module, the server and the controller all call these same functions.
 *
 * - `checkpoint(CheckpointOptions) → CheckpointOutcome[]`: resolve pods/containers (name or
 *   label selector), have each kubelet checkpoint (API server proxy or direct), then either copy
 *   each archive off its node (`copyTo: {dir} | {file}`, sha256 verified, 0600, with
 *   `ARCHIVE.pod.json` beside it) or leave it there and save the Pod object in `podObjectDir`.
 *   One outcome per container, each with its Pod object (`pod`); a failed container is an
 *   outcome with `error`, not a throw.
 * - `restore(RestoreOptions) → RestoreResult`: `source: {archive} | {image: ImageReference}`.
 *   An archive is pushed to `repository` as a checkpoint image first; an image's manifest is read
 *   and the target node checked before the layer is pulled. Then the Pod (and a Service for
 *   `expose`) is created, pinned to the node, and with `wait` awaited until Running.
 * - `migrate(MigrateOptions) → MigrateResult`: checkpoint one container, copy it into a private
 *   temp directory, restore it on `to`, wait, and with `deleteSource` delete the original.
 *
 * - `checkpointPodLevel` / `restorePodCheckpoint` / `copyPodCheckpoint`: KEP-5823 pod-level
 *   checkpoints (a `PodCheckpoint` the kubelet fulfils; restore with `spec.restoreFrom` on its
 *   node, or through a checkpoint image on another node).
 *
 * Local files: the library never picks a path on its own; every destination (`copyTo`,
 * `podObjectDir`) comes from the caller, which decides defaults such as the working directory.
 * Image references are oci's parsed `ImageReference` all the way to the registry.
 *
 * Events: every operation takes `onEvent(OpEvent)` and reports through it; migrate reports the
 * checkpoint's and the restore's events in one stream. Events are plain serialisable data with a
 * stable `type` (see events.ts), so that the CLI draws them, and the server and controller can
 * stream them as they are (e.g. JSON over SSE). Byte progress is `{type: 'transfer', progress}`
 * (oci's TransferProgress: phase copy, digest, compress, upload or download), sent at most about
 * once per MiB per item. Errors in events are `{code, message, hint}`.
 *
 * Cancellation: `signal` (AbortSignal). Aborting stops new work, removes helper pods and temp
 * files, and the operation rejects with a KcrError of code `cancelled` (or the error that the
 * abort caused). All failures meant for users are KcrError (code, message, hint).
 */
export {
  checkpoint,
  type CheckpointOptions,
  type CheckpointOutcome,
  type CopyDestination,
} from './checkpoint.js';
export { restore, checkpointTag, type RestoreOptions, type RestoreResult } from './restore.js';
export type { RestoreSource } from './restore-source.js';
export { migrate, type MigrateOptions, type MigrateResult } from './migrate.js';
export {
  checkpointPodLevel,
  copyPodCheckpoint,
  restorePodCheckpoint,
  podCheckpointNodePath,
  type PodCheckpointOptions,
  type PodCheckpointResult,
  type CopyPodCheckpointOptions,
  type CopiedPodCheckpoint,
  type RestorePodCheckpointOptions,
  type RestorePodCheckpointResult,
} from './pod-checkpoint.js';
export {
  opError,
  type OpEvent,
  type OpEventType,
  type OpOptions,
  type OpError,
  type LocalCopy,
} from './events.js';
export type { CheckpointTarget, CheckpointSelection } from '../kube/index.js';
