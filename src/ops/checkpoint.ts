/**
 * Checkpoint: resolve the pods and containers, ask each node's kubelet to checkpoint them (at most
 * `parallel` at once), and either copy each archive off its node to a destination the caller
 * names, with the Pod object beside it, or leave it on the node and save the Pod object where the
 * caller says. Restore needs the Pod object, and the pod may be gone by then.
 */
import { setMaxListeners } from 'node:events';
import { access, constants, mkdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { KcrError, fileError, isKcrError } from '../errors.js';
import {
  CheckpointSession,
  type CheckpointSelection,
  type CheckpointTarget,
  type CopyProgress,
  type CopyResult,
  type KubeletVia,
  type PlannedCheckpoint,
} from '../kube/index.js';
import { mapLimit } from '../util/concurrency.js';
import { writePrivateFile } from '../util/private-file.js';
import { emitter, opError, type LocalCopy, type OpEvent, type OpOptions } from './events.js';
import { copyLocalFile } from './local-copy.js';

/** Where copies go: each archive under its node name in `dir`, or one archive (one target only) to `file`. */
export type CopyDestination = { dir: string } | { file: string };

export interface CheckpointOptions extends CheckpointSelection, OpOptions {
  /** Copy each archive off its node, sha256 verified, with its Pod object beside it as `ARCHIVE.pod.json`. */
  copyTo?: CopyDestination;
  /** Without copyTo: save each Pod object in this directory, as `<archive file name>.pod.json`. */
  podObjectDir?: string;
  /**
   * Without copyTo, when kcr runs on the node itself (direct kubelet access, and the archive is
   * readable here): save the Pod object beside the archive instead of in podObjectDir.
   */
  podObjectBesideArchive?: boolean;
  /** Checkpoints (and copies) at once; default 4. */
  parallel?: number;
  helperImage?: string;
  /** Namespace of the helper pods that copy archives (default: each target's). */
  helperNamespace?: string;
  /** How often to poll a helper pod; tests shorten it. */
  pollIntervalMs?: number;
}

export interface CheckpointOutcome {
  target: CheckpointTarget;
  via: KubeletVia;
  /** The Pod object at checkpoint time, as saved (restore rebuilds the new Pod from it). */
  pod: V1Pod;
  /** Archive path on the node. */
  archive?: string;
  copy?: LocalCopy;
  /** Where the Pod object was saved when the archive was not copied (with a copy: `copy.podJson`). */
  podJson?: string;
  error?: KcrError;
}

const PROGRESS_STEP = 1 << 20;

interface Run {
  session: CheckpointSession;
  options: CheckpointOptions;
  emit: (event: OpEvent) => void;
  signal?: AbortSignal;
}

function validate(o: CheckpointOptions): void {
  if (o.parallel !== undefined && (!Number.isInteger(o.parallel) || o.parallel < 1)) {
    throw new KcrError('usage', `--parallel ${o.parallel}: must be a whole number above 0`);
  }
}

/** A file destination holds one archive; a directory is created if it is missing. */
async function prepareDestination(copyTo: CopyDestination | undefined, count: number): Promise<void> {
  if (!copyTo) return;
  if ('file' in copyTo) {
    if (count > 1) {
      throw new KcrError('usage', `${copyTo.file}: ${count} archives need a directory, not one file`, {
        hint: 'copy them into a directory: an existing one, or a path ending in /',
      });
    }
    return;
  }
  await mkdir(copyTo.dir, { recursive: true }).catch((err: unknown) => {
    throw fileError(copyTo.dir, err, 'cannot create');
  });
}

function destinationFor(copyTo: CopyDestination, nodePath: string): string {
  return 'file' in copyTo ? copyTo.file : join(copyTo.dir, posix.basename(nodePath));
}

async function readableHere(path: string): Promise<boolean> {
  try {
    await access(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

function podJson(pod: V1Pod): string {
  return JSON.stringify({ ...pod, apiVersion: 'v1', kind: 'Pod' }, null, 2) + '\n';
}

async function copyArchive(
  run: Run,
  p: PlannedCheckpoint,
  nodePath: string,
  destination: string,
): Promise<LocalCopy> {
  const { options: o, emit, signal } = run;
  const label = `${p.target.namespace}/${p.target.pod}/${p.target.container}`;
  // Streams report every chunk; events go out once per MiB (and at the end), as oci's transfers do.
  let reported = -Infinity;
  const onProgress = ({ bytes, total }: CopyProgress) => {
    if (bytes - reported < PROGRESS_STEP && bytes !== total) return;
    reported = bytes;
    emit({
      type: 'transfer',
      target: p.target,
      progress: { phase: 'copy', label, transferred: bytes, total },
    });
  };
  // kcr on the node itself (direct kubelet access as root) reads the archive where it is.
  const copy: CopyResult =
    run.session.via === 'kubelet' && (await readableHere(nodePath))
      ? await copyLocalFile(nodePath, destination, onProgress, signal)
      : await run.session.copyFromNode(p.target, nodePath, destination, {
          helperImage: o.helperImage,
          helperNamespace: o.helperNamespace,
          signal,
          onProgress,
          onHelperPod: (pod) =>
            emit({ type: 'helper-pod', target: p.target, pod: { namespace: pod.namespace, name: pod.name } }),
          onWarning: (message) => emit({ type: 'warning', message }),
          pollIntervalMs: o.pollIntervalMs,
        });
  const saved = `${copy.path}.pod.json`;
  await writePrivateFile(saved, podJson(p.pod));
  return { ...copy, podJson: saved };
}

/**
 * Without a copy the archive stays on the node, but the Pod object is saved now. A failure here is
 * a warning: the checkpoint itself succeeded.
 */
async function savePodObject(run: Run, p: PlannedCheckpoint, archive: string): Promise<string | undefined> {
  const o = run.options;
  const onNode = o.podObjectBesideArchive && run.session.via === 'kubelet' && (await readableHere(archive));
  const dir = onNode ? posix.dirname(archive) : o.podObjectDir;
  if (!dir) return undefined;
  const path = join(dir, `${posix.basename(archive)}.pod.json`);
  try {
    await writePrivateFile(path, podJson(p.pod));
    return path;
  } catch (err) {
    const why = isKcrError(err) ? err.message : String(err);
    run.emit({
      type: 'warning',
      message: `the Pod object of ${p.target.namespace}/${p.target.pod} was not saved (${why}); restore will rebuild it from the archive's spec.dump`,
    });
    return undefined;
  }
}

async function runOne(run: Run, p: PlannedCheckpoint): Promise<CheckpointOutcome> {
  const { emit } = run;
  const outcome: CheckpointOutcome = { target: p.target, via: run.session.via, pod: p.pod };
  if (p.error) {
    // Found unfit while planning (with a selector): its one event says so, as for any failure.
    emit({ type: 'failed', target: p.target, error: opError(p.error) });
    return { ...outcome, error: p.error };
  }
  try {
    emit({ type: 'checkpointing', target: p.target });
    outcome.archive = await run.session.checkpoint(p.target, run.signal);
    emit({ type: 'checkpointed', target: p.target, archive: outcome.archive });
    const copyTo = run.options.copyTo;
    if (copyTo) {
      outcome.copy = await copyArchive(run, p, outcome.archive, destinationFor(copyTo, outcome.archive));
      emit({ type: 'copied', target: p.target, copy: outcome.copy });
    } else {
      const saved = await savePodObject(run, p, outcome.archive);
      if (saved) outcome.podJson = saved;
    }
    return outcome;
  } catch (err) {
    if (!isKcrError(err)) throw err;
    emit({ type: 'failed', target: p.target, error: opError(err) });
    return { ...outcome, error: err };
  }
}

/**
 * Every request in flight listens on the caller's signal; with --parallel above a few that passes
 * Node's default of 10 listeners, so the tasks share one linked signal with a matching limit. The
 * one listener on the caller's signal is removed when the run ends (dispose): a long-lived signal
 * (the server's, a test's) must not collect one per run.
 */
function fanOutSignal(
  signal: AbortSignal | undefined,
  parallel: number,
): { signal: AbortSignal | undefined; dispose: () => void } {
  if (!signal) return { signal: undefined, dispose: () => {} };
  const linked = new AbortController();
  setMaxListeners(parallel * 4 + 10, linked.signal);
  const forward = () => linked.abort(signal.reason);
  if (signal.aborted) linked.abort(signal.reason);
  else signal.addEventListener('abort', forward, { once: true });
  return { signal: linked.signal, dispose: () => signal.removeEventListener('abort', forward) };
}

/**
 * Checkpoints the selected containers, one outcome per container in order; one failed target
 * does not stop the others (its outcome carries the error, and a `failed` event says so).
 * Throws for what fails them all: bad options, no kubeconfig, no such pod, cancellation.
 */
export async function checkpoint(options: CheckpointOptions): Promise<CheckpointOutcome[]> {
  validate(options);
  const parallel = options.parallel ?? 4;
  const fanOut = fanOutSignal(options.signal, parallel);
  try {
    const session = await CheckpointSession.open(options);
    await prepareDestination(options.copyTo, session.planned.length);
    const run: Run = { session, options, emit: emitter(options), signal: fanOut.signal };
    const outcomes = await mapLimit(session.planned, parallel, (p) => runOne(run, p), fanOut.signal);
    if (fanOut.signal?.aborted) throw new KcrError('cancelled', 'checkpoint cancelled');
    return outcomes;
  } finally {
    fanOut.dispose();
  }
}
