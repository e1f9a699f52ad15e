/**
 * POST /api/v1/uploads: an archive from the browser, streamed to the uploads directory (never
 * held in memory), 0600 from the first byte under a temporary name, renamed when complete, then
 * opened once: an archive kcr cannot read is removed again and answered with the reason. The
 * directory is kcr's private temp directory (removed on exit) unless `kcr ui --uploads DIR` keeps them.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Hono } from 'hono';
import { fileError, KcrError } from '../errors.js';
import { Checkpoint } from '../forensics/index.js';
import type { UploadBody } from './api-types.js';
import { sendJson } from './respond.js';
import { describeOne } from './sources.js';
import type { ServerState } from './state.js';

const ARCHIVE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:+-]{0,200}\.tar(\.gz|\.zst)?$/;

function checkName(name: string | undefined): string {
  if (!name || !ARCHIVE_NAME.test(name)) {
    throw new KcrError('usage', `upload name "${name ?? ''}" refused`, {
      hint: 'name the archive NAME.tar, NAME.tar.gz or NAME.tar.zst (letters, digits, . _ : + -)',
    });
  }
  return name;
}

/** NAME.tar, or NAME-2.tar… when taken: an upload never replaces a file. */
async function freeName(dir: string, name: string): Promise<string> {
  const m = /^(.*?)(\.tar(?:\.gz|\.zst)?)$/.exec(name)!;
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? name : `${m[1]}-${n}${m[2]}`;
    const taken = await stat(join(dir, candidate)).then(
      () => true,
      () => false,
    );
    if (!taken) return candidate;
  }
}

export function uploadRoutes(api: Hono, state: ServerState): void {
  api.post('/uploads', async (c) => {
    const name = checkName(c.req.header('x-kcr-filename') ?? c.req.query('name'));
    const body = c.req.raw.body;
    if (!body)
      throw new KcrError('usage', 'the upload has no body', { hint: 'send the archive as the request body' });
    const dir = state.uploadsDir;
    const temp = join(dir, `.upload-${randomBytes(6).toString('hex')}.part`);
    try {
      await pipeline(
        Readable.fromWeb(body as WebReadableStream<Uint8Array>),
        createWriteStream(temp, { flags: 'wx', mode: 0o600 }),
      );
    } catch (err) {
      await rm(temp, { force: true });
      if (c.req.raw.signal.aborted) throw new KcrError('cancelled', 'the upload was cancelled');
      throw fileError(temp, err, 'cannot write the upload');
    }
    // Readable before it gets its name: a bad archive is refused and never listed.
    try {
      const cp = await Checkpoint.open(temp);
      await cp.archive.close();
    } catch (err) {
      await rm(temp, { force: true });
      if (!(err instanceof KcrError)) throw err;
      // The message names the temporary file; the user knows the archive by its name.
      throw new KcrError(err.code, err.message.replaceAll(temp, name), err.hint ? { hint: err.hint } : {});
    }
    const final = join(dir, await freeName(dir, name));
    await rename(temp, final);
    state.log(`uploaded ${final}`);
    const root = state.roots.find((r) => r.kind === 'upload')!;
    const out: UploadBody = { checkpoint: await describeOne(root, final) };
    return sendJson(c, out, 201);
  });
}
