/**
 * The one progress vocabulary of every operation. Events are plain data (strings, numbers,
 * booleans, plain objects: no Error, Date or class instances), so that the CLI can draw them and
 * the server and the controller can send them as they are (JSON, SSE). `type` is stable: a new
 * kind of event gets a new type, and an existing type only gains optional fields.
 */
import { isKcrError, type KcrErrorCode } from '../errors.js';
import type { CheckpointTarget, CopyResult } from '../kube/index.js';
import type { TransferProgress } from '../oci/index.js';

/** An error as data: what the CLI prints as `error:` and `hint:`. */
export interface OpError {
  code: KcrErrorCode;
  message: string;
  hint?: string;
}

/** An archive copied off its node, with the Pod object saved beside it. */
export interface LocalCopy extends CopyResult {
  /** The saved Pod object (`ARCHIVE.pod.json`), which restore uses. */
  podJson: string;
}

export type OpEvent =
  // checkpoint (and migrate's first half), one target = one container
  | { type: 'checkpointing'; target: CheckpointTarget }
  | { type: 'checkpointed'; target: CheckpointTarget; /** Archive path on the node. */ archive: string }
  | { type: 'failed'; target: CheckpointTarget; error: OpError }
  | { type: 'helper-pod'; target: CheckpointTarget; pod: { namespace: string; name: string } }
  | { type: 'copied'; target: CheckpointTarget; copy: LocalCopy }
  /**
   * Bytes moving: a copy off a node (phase `copy`, with its target), or the digest, compression,
   * upload or download of a checkpoint image. Sent at most about once per MiB per item.
   */
  | { type: 'transfer'; progress: TransferProgress; target?: CheckpointTarget }
  // restore (and migrate's second half)
  | { type: 'publishing'; reference: string }
  | { type: 'published'; /** REGISTRY/REPOSITORY@DIGEST */ image: string }
  | { type: 'pulling'; image: string }
  | { type: 'created'; kind: 'Pod' | 'Service'; namespace: string; name: string }
  | { type: 'waiting'; namespace: string; name: string }
  | { type: 'running'; namespace: string; name: string }
  // migrate
  | { type: 'deleted'; namespace: string; name: string }
  // pod-level checkpoints: each Ready reason of the PodCheckpoint as the kubelet writes it
  | { type: 'pod-checkpoint'; namespace: string; name: string; reason: string; message: string }
  /** Something the user should know that does not fail the operation. */
  | { type: 'warning'; message: string };

export type OpEventType = OpEvent['type'];

/** What every operation takes besides its own options. */
export interface OpOptions {
  /** Aborting cancels the operation: it cleans up (helper pods, temp files) and throws `cancelled`. */
  signal?: AbortSignal;
  onEvent?: (event: OpEvent) => void;
}

export function opError(err: unknown): OpError {
  if (isKcrError(err))
    return { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  return { code: 'io', message: err instanceof Error ? err.message : String(err) };
}

/** The caller's callback, or one that drops events. */
export function emitter(o: OpOptions): (event: OpEvent) => void {
  return o.onEvent ?? (() => undefined);
}
