/**
 * A real S3 server for tests: s3rver (npm) on a random port, its data in a temp directory. It
 * speaks the S3 REST API, including multipart upload, so the S3 store is tested through the same
 * SDK calls it makes against AWS or MinIO. Credentials go through the environment, as the AWS
 * credential chain reads them (tests run in their own process: vitest's forks pool).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** The directory s3rver keeps objects in (to tamper with them behind the store's back). */
  directory: string;
  close(): Promise<void>;
}

export async function startS3(bucket = 'kcr-test'): Promise<TestS3> {
  const directory = await mkdtemp(join(tmpdir(), 'kcr-s3rver-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const { port } = (await server.run()) as { port: number };
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  process.env.AWS_REGION = 'us-east-1';
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    directory,
    close: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
