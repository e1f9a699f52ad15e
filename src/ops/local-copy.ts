/**
 * When kcr runs on the node itself (direct kubelet access as root), the archive the kubelet wrote
 * is a local file: it is copied and hashed here instead of through a helper pod.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { KcrError, fileError } from '../errors.js';
import type { CopyProgress, CopyResult } from '../kube/index.js';
import { freshTempNameFor } from '../util/atomic-file.js';
import { DigestStream } from '../util/digest-stream.js';
import { commitPrivateFile } from '../util/private-file.js';

export async function copyLocalFile(
  source: string,
  destination: string,
  onProgress?: (p: CopyProgress) => void,
  signal?: AbortSignal,
): Promise<CopyResult> {
  const temp = await freshTempNameFor(destination);
  let total = 0;
  try {
    total = (await stat(source)).size;
  } catch (err) {
    throw fileError(source, err);
  }
  const meter = new DigestStream((bytes) => onProgress?.({ bytes, total }));
  try {
    await pipeline(createReadStream(source), meter, createWriteStream(temp, { flags: 'wx', mode: 0o600 }), {
      signal,
    });
    await commitPrivateFile(temp, destination);
    return { path: destination, size: meter.bytes, sha256: meter.hex() };
  } catch (err) {
    await rm(temp, { force: true });
    if (signal?.aborted) throw new KcrError('cancelled', `copying ${source}: cancelled`);
    throw fileError(source, err);
  }
}
