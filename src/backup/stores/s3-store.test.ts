import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newBackupId } from '../record.js';
import { startS3, type TestS3 } from '../../testing/s3.js';
import { storeContract, syntheticRecord } from '../../testing/store-contract.js';
import { openStore } from './open-store.js';
import { verifyBackupData } from '../read-backup.js';
import { startTcpProxy } from '../../testing/tcp-proxy.js';
import { tempDir } from '../../testing/archive-builder.js';
import { CTHREADS, kcrWithHome } from '../../testing/backup-cli.js';

let s3: TestS3;
let n = 0;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3?.close();
});

// 20 MiB: more than one 16 MiB part, so puts go through S3's multipart upload.
storeContract('s3:// (s3rver)', {
  create: () => openStore(`s3://${s3.bucket}/contract-${++n}`, { endpoint: s3.endpoint, pathStyle: true }),
  largeSize: 20 * 1024 * 1024,
});

describe('s3 store', () => {
  it('names a bucket that does not exist, with a hint', async () => {
    const store = await openStore('s3://no-such-bucket/x', { endpoint: s3.endpoint, pathStyle: true });
    await expect(store.list()).rejects.toMatchObject({
      code: 'not-found',
      message: 's3://no-such-bucket/x: bucket no-such-bucket does not exist',
    });
    await store.close();
  });

  it('says when the endpoint cannot be reached', async () => {
    const store = await openStore(`s3://${s3.bucket}/x`, { endpoint: 'http://127.0.0.1:9', pathStyle: true });
    await expect(store.list()).rejects.toMatchObject({
      code: 'network',
      message: expect.stringContaining('connection refused'),
    });
    await store.close();
  });

  it('resumes a multipart upload whose connection drops mid-part: the part is sent again, not the archive', async () => {
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(s3.endpoint).port));
    try {
      const store = await openStore(`s3://${s3.bucket}/resume`, {
        endpoint: `http://${proxy.host}`,
        pathStyle: true,
      });
      const size = 40 * 1024 * 1024; // three parts
      const body = Buffer.alloc(size);
      for (let i = 0; i < size; i += 4096) body.writeUInt32LE(i, i);
      proxy.arm(8 * 1024 * 1024);
      const id = newBackupId();
      const record = await store.put(id, Readable.from([body]), (w) => syntheticRecord(id, w));
      expect(proxy.cuts).toBe(1);
      expect(record.data.size).toBe(size);
      expect(await verifyBackupData(store, id)).toEqual({ id, ok: true });
      const back: Buffer[] = [];
      for await (const chunk of await store.openData(id)) back.push(chunk as Buffer);
      expect(Buffer.concat(back).equals(body)).toBe(true);
      await store.close();
    } finally {
      await proxy.close();
    }
  });

  it('works with no region configured anywhere (us-east-1, as the help says), e.g. for MinIO', async () => {
    const saved = { ...process.env };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    process.env.AWS_CONFIG_FILE = '/nonexistent/kcr-test-aws-config';
    try {
      const store = await openStore(`s3://${s3.bucket}/no-region`, {
        endpoint: s3.endpoint,
        pathStyle: true,
      });
      await expect(store.list()).resolves.toEqual([]);
      await store.close();
    } finally {
      process.env = saved;
    }
  });

  it('refuses a put over an existing backup id', async () => {
    const store = await openStore(`s3://${s3.bucket}/conflict`, { endpoint: s3.endpoint, pathStyle: true });
    const id = newBackupId();
    await store.put(id, Readable.from([Buffer.from('a')]), (w) => syntheticRecord(id, w));
    await expect(
      store.put(id, Readable.from([Buffer.from('b')]), (w) => syntheticRecord(id, w)),
    ).rejects.toMatchObject({ code: 'conflict' });
    await store.close();
  });
});

describe('s3 store from the command line', () => {
  it('adds the store with --endpoint and --path-style, backs up, lists and gets the archive back', async () => {
    const tmp = tempDir('kcr-s3-cli-');
    try {
      const kcr = kcrWithHome(tmp.path('home'), tmp.dir);
      const add = await kcr(
        'store',
        'add',
        'offsite',
        `s3://${s3.bucket}/cli`,
        '--endpoint',
        s3.endpoint,
        '--path-style',
      );
      expect(add.stderr).toBe('');
      expect(add.stdout).toBe(`store offsite added (s3://${s3.bucket}/cli): 0 backups\n`);
      const archive = CTHREADS;
      const put = await kcr('backup', archive, '--store', 'offsite');
      expect(put.stderr).toBe('');
      const [row] = JSON.parse((await kcr('backups', '--store', 'offsite', '-o', 'json')).stdout) as {
        id: string;
      }[];
      expect((await kcr('backup', 'get', row!.id, '--output-file', tmp.path('back.tar'))).code).toBe(0);
      expect(readFileSync(tmp.path('back.tar')).equals(readFileSync(archive))).toBe(true);
      expect((await kcr('verify', '--store', 'offsite', '--chain')).code).toBe(0);
    } finally {
      tmp.cleanup();
    }
  });
});
