/**
 * Copying an archive off a node: a helper pod on that node streams it with `cat` over exec while
 * `sha256sum` runs beside it, and the local copy counts as done only when both digests and the
 * size agree. The helper pod is deleted on success, failure and Ctrl-C alike.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { posix } from 'node:path';
import { finished } from 'node:stream/promises';
import { KcrError, fileError } from '../errors.js';
import { DigestStream } from '../util/digest-stream.js';
import type { KubeClient } from './client.js';
import { execInPod } from './exec.js';
import { freshTempNameFor } from '../util/atomic-file.js';
import { commitPrivateFile } from '../util/private-file.js';
import {
  deleteHelperPod,
  HELPER_CONTAINER,
  HELPER_MOUNT,
  startHelperPod,
  type HelperPod,
} from './helper-pod.js';

export interface CopyProgress {
  bytes: number;
  total: number;
}

export interface CopyFromNodeOptions {
  /** Namespace for the helper pod. */
  namespace: string;
  node: string;
  /** Absolute path of the archive on the node, as the kubelet returned it. */
  nodePath: string;
  /** Local file to write. */
  destination: string;
  helperImage: string;
  signal?: AbortSignal;
  onProgress?: (progress: CopyProgress) => void;
  /** Called once the helper pod exists (tests and logs). */
  onHelperPod?: (pod: HelperPod) => void;
  /** Problems that do not fail the copy, such as a helper pod that could not be deleted. */
  onWarning?: (message: string) => void;
  helperStartTimeoutMs?: number;
  pollIntervalMs?: number;
}

export interface CopyResult {
  path: string;
  size: number;
  sha256: string;
}

async function remoteText(
  client: KubeClient,
  pod: HelperPod,
  command: string[],
  signal?: AbortSignal,
): Promise<string> {
  const result = await execInPod(client, {
    namespace: pod.namespace,
    pod: pod.name,
    container: HELPER_CONTAINER,
    command,
    signal,
  });
  if (result.exitCode !== 0) {
    throw new KcrError(
      'remote',
      `${command.join(' ')} on the node failed: ${result.stderr.trim() || `exit code ${result.exitCode}`}`,
      {
        hint: 'the archive may have been removed from the node; list the checkpoint directory there',
      },
    );
  }
  return result.stdout.trim();
}

/**
 * Streams `cat` into the local temp file and returns its digest and size. The copy counts only
 * when the exec succeeded, the file write finished without error, and the bytes on disk are the
 * bytes that were hashed.
 */
async function streamToFile(
  client: KubeClient,
  pod: HelperPod,
  path: string,
  temp: string,
  total: number,
  o: CopyFromNodeOptions,
  signal: AbortSignal,
) {
  const meter = new DigestStream((bytes) => o.onProgress?.({ bytes, total }));
  const file = createWriteStream(temp, { flags: 'wx', mode: 0o600 });
  try {
    await once(file, 'open');
  } catch (err) {
    throw fileError(o.destination, err, 'cannot write');
  }
  const written = finished(file);
  written.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
  meter.pipe(file);
  // pipe() does not pass a write failure (disk full) back; destroying the meter ends the exec with it.
  file.on('error', (err) => meter.destroy(fileError(o.destination, err, 'cannot write')));
  try {
    const result = await execInPod(client, {
      namespace: pod.namespace,
      pod: pod.name,
      container: HELPER_CONTAINER,
      command: ['cat', path],
      stdout: meter,
      signal,
    });
    if (result.exitCode !== 0) {
      throw new KcrError(
        'remote',
        `cat ${path} on ${o.node} failed: ${result.stderr.trim() || `exit code ${result.exitCode}`}`,
      );
    }
  } catch (err) {
    meter.destroy();
    file.destroy();
    await written.catch(() => undefined);
    throw err;
  }
  meter.end();
  try {
    await written;
  } catch (err) {
    throw fileError(o.destination, err, 'cannot write');
  }
  if (file.bytesWritten !== meter.bytes) {
    throw new KcrError(
      'integrity',
      `${o.destination}: wrote ${file.bytesWritten} of the ${meter.bytes} bytes received from ${o.node}`,
      { hint: 'the local disk may be full; free space and retry' },
    );
  }
  return { sha256: meter.hex(), size: meter.bytes };
}

/**
 * Runs the two execs side by side; when one fails, the other is aborted and awaited, so that no
 * stream still writes into the temp file when the caller removes it. The error is the first
 * failure's, not the cancellation that it caused.
 */
async function bothOrNeither<A, B>(
  signal: AbortSignal | undefined,
  a: (signal: AbortSignal) => Promise<A>,
  b: (signal: AbortSignal) => Promise<B>,
): Promise<[A, B]> {
  const local = new AbortController();
  const forward = () => local.abort(signal?.reason);
  if (signal?.aborted) local.abort(signal.reason);
  else signal?.addEventListener('abort', forward, { once: true });
  let first: { error: unknown } | undefined;
  const failFast = <T>(p: Promise<T>) =>
    p.catch((error: unknown) => {
      first ??= { error };
      local.abort();
      throw error;
    });
  try {
    const [ra, rb] = await Promise.allSettled([failFast(a(local.signal)), failFast(b(local.signal))]);
    if (first) throw first.error;
    return [(ra as PromiseFulfilledResult<A>).value, (rb as PromiseFulfilledResult<B>).value];
  } finally {
    signal?.removeEventListener('abort', forward);
  }
}

export async function copyFromNode(client: KubeClient, o: CopyFromNodeOptions): Promise<CopyResult> {
  let helper: HelperPod | undefined;
  const temp = await freshTempNameFor(o.destination);
  try {
    helper = await startHelperPod(
      client,
      { namespace: o.namespace, node: o.node, hostDir: posix.dirname(o.nodePath), image: o.helperImage },
      {
        signal: o.signal,
        startTimeoutMs: o.helperStartTimeoutMs,
        pollIntervalMs: o.pollIntervalMs,
        onCreated: (pod) => {
          helper = pod;
          o.onHelperPod?.(pod);
        },
      },
    );
    const inPod = posix.join(HELPER_MOUNT, posix.basename(o.nodePath));
    const sizeText = await remoteText(client, helper, ['stat', '-c', '%s', inPod], o.signal);
    const total = Number(sizeText);
    if (!/^\d+$/.test(sizeText)) {
      throw new KcrError('remote', `stat on ${o.node} printed "${sizeText.slice(0, 80)}", not a size`, {
        hint: `the helper image ${o.helperImage} needs a stat that takes -c %s (coreutils or busybox)`,
      });
    }
    // The node-side digest is computed while the bytes travel, so a GiB archive is read twice but waited for once.
    const pod = helper;
    const [remoteSum, local] = await bothOrNeither(
      o.signal,
      (signal) => remoteText(client, pod, ['sha256sum', inPod], signal),
      (signal) => streamToFile(client, pod, inPod, temp, total, o, signal),
    );
    const remote = remoteSum.split(/\s+/)[0] ?? '';
    if (remote !== local.sha256 || local.size !== total) {
      throw new KcrError(
        'integrity',
        `${o.destination}: copy does not match the archive on ${o.node} (sha256 ${local.sha256} != ${remote}, ${local.size} of ${total} bytes)`,
        {
          hint: 'the archive may have changed during the copy, or the connection corrupted it; retry',
        },
      );
    }
    try {
      await commitPrivateFile(temp, o.destination);
    } catch (err) {
      throw fileError(o.destination, err, 'cannot write');
    }
    return { path: o.destination, size: local.size, sha256: local.sha256 };
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  } finally {
    // Never with the caller's signal: after Ctrl-C the deletion is exactly what must still happen.
    if (helper) {
      const created = helper;
      await deleteHelperPod(client, created).catch((err: unknown) =>
        o.onWarning?.(
          `helper pod ${created.namespace}/${created.name} was not deleted (${err instanceof Error ? err.message : String(err)}); delete it with kubectl`,
        ),
      );
    }
  }
}
