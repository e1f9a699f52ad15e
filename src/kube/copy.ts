/**
 * Copying an archive off a node: a helper pod on that node streams it with `cat` over exec while
 * `sha256sum` runs beside it, and the local copy counts as done only when both digests and the
 * size agree. The helper pod is deleted on success, failure and Ctrl-C alike.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { KcrError, fileError } from '../errors.js';
import type { KubeClient } from './client.js';
import { execInPod } from './exec.js';
import { commitPrivateFile, tempNameFor } from './files.js';
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

/** Hashes and counts what flows through, reporting progress. */
class Meter extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  constructor(private readonly report: (bytes: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.report(this.bytes);
    done(null, chunk);
  }
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

/** Streams `cat` into the local temp file and returns its digest and size. */
async function streamToFile(
  client: KubeClient,
  pod: HelperPod,
  path: string,
  temp: string,
  total: number,
  o: CopyFromNodeOptions,
) {
  const meter = new Meter((bytes) => o.onProgress?.({ bytes, total }));
  const file = createWriteStream(temp, { flags: 'wx', mode: 0o600 });
  try {
    await once(file, 'open');
  } catch (err) {
    throw fileError(o.destination, err, 'cannot write');
  }
  const written = finished(file);
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
      signal: o.signal,
    });
    if (result.exitCode !== 0) {
      throw new KcrError(
        'remote',
        `cat ${path} on ${o.node} failed: ${result.stderr.trim() || `exit code ${result.exitCode}`}`,
      );
    }
  } finally {
    meter.end();
    await written.catch(() => undefined);
  }
  return { sha256: meter.hash.digest('hex'), size: meter.bytes };
}

export async function copyFromNode(client: KubeClient, o: CopyFromNodeOptions): Promise<CopyResult> {
  let helper: HelperPod | undefined;
  const temp = tempNameFor(o.destination);
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
    const [remoteSum, local] = await Promise.all([
      remoteText(client, helper, ['sha256sum', inPod], o.signal),
      streamToFile(client, helper, inPod, temp, total, o),
    ]);
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
      const pod = helper;
      await deleteHelperPod(client, pod).catch((err: unknown) =>
        o.onWarning?.(
          `helper pod ${pod.namespace}/${pod.name} was not deleted (${err instanceof Error ? err.message : String(err)}); delete it with kubectl`,
        ),
      );
    }
  }
}

/** On the node itself (direct kubelet access as root) the archive is a local file: copy and hash it. */
export async function copyLocalFile(
  source: string,
  destination: string,
  onProgress?: (p: CopyProgress) => void,
  signal?: AbortSignal,
): Promise<CopyResult> {
  const temp = tempNameFor(destination);
  let total = 0;
  try {
    total = (await stat(source)).size;
  } catch (err) {
    throw fileError(source, err);
  }
  const meter = new Meter((bytes) => onProgress?.({ bytes, total }));
  try {
    await pipeline(createReadStream(source), meter, createWriteStream(temp, { flags: 'wx', mode: 0o600 }), {
      signal,
    });
    await commitPrivateFile(temp, destination);
    return { path: destination, size: meter.bytes, sha256: meter.hash.digest('hex') };
  } catch (err) {
    await rm(temp, { force: true });
    if (signal?.aborted) throw new KcrError('cancelled', `copying ${source}: cancelled`);
    throw fileError(source, err);
  }
}
