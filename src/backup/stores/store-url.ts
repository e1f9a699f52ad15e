/**
 * Store URLs: `file:///path`, `s3://bucket/prefix`, `oci://registry/repository`. Parsing is
 * separate from opening so that `kcr store add` can refuse a bad URL before anything is saved.
 */
import { isAbsolute, normalize } from 'node:path';
import { z } from 'zod';
import { KcrError } from '../../errors.js';

/** Connection settings a URL cannot carry; `kcr store add` saves them with the URL. */
export const storeOptionsSchema = z
  .object({
    /** S3: an endpoint other than AWS (MinIO, Ceph, s3rver), e.g. `http://127.0.0.1:9000`. */
    endpoint: z.url().optional(),
    /** S3: `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key` (MinIO, Ceph). */
    pathStyle: z.boolean().optional(),
    region: z.string().min(1).optional(),
    /** S3: the profile in ~/.aws/config and ~/.aws/credentials. */
    profile: z.string().min(1).optional(),
    /** OCI: plain HTTP or unverified TLS for this registry only. */
    insecure: z.boolean().optional(),
  })
  .strict();
export type StoreOptions = z.infer<typeof storeOptionsSchema>;

export type StoreLocation =
  | { kind: 'file'; path: string }
  | { kind: 's3'; bucket: string; prefix: string }
  | { kind: 'oci'; repository: string };

const URL_HINT = 'use file:///absolute/path, s3://bucket/prefix or oci://registry/repository';

function bad(url: string, why: string): KcrError {
  return new KcrError('usage', `store URL ${JSON.stringify(url)}: ${why}`, { hint: URL_HINT });
}

export function parseStoreUrl(url: string): StoreLocation {
  const scheme = /^([a-z0-9]+):\/\//.exec(url)?.[1];
  if (scheme === undefined) throw bad(url, 'not a URL');
  const rest = url.slice(scheme.length + 3);
  switch (scheme) {
    case 'file': {
      let path: string;
      try {
        path = decodeURIComponent(rest);
      } catch {
        throw bad(url, 'bad %-escape in the path');
      }
      if (!isAbsolute(path)) throw bad(url, 'the path must be absolute (three slashes: file:///path)');
      const clean = normalize(path);
      return { kind: 'file', path: clean.length > 1 ? clean.replace(/\/$/, '') : clean };
    }
    case 's3': {
      const slash = rest.indexOf('/');
      const bucket = slash < 0 ? rest : rest.slice(0, slash);
      const prefix = (slash < 0 ? '' : rest.slice(slash + 1)).replace(/^\/+|\/+$/g, '');
      // S3's bucket naming rules (3-63 characters, lower-case letters, digits, dots and hyphens).
      if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
        throw bad(url, `"${bucket}" is not an S3 bucket name`);
      }
      if (prefix.split('/').some((part) => part === '.' || part === '..'))
        throw bad(url, 'the prefix may not hold . or ..');
      return { kind: 's3', bucket, prefix };
    }
    case 'oci': {
      const repository = rest.replace(/\/+$/, '');
      if (!/^[a-z0-9.-]+(:\d+)?\/[a-z0-9]+(?:[._/-][a-z0-9]+)*$/.test(repository)) {
        throw bad(url, 'expected oci://registry/repository (no tag: kcr tags each backup)');
      }
      return { kind: 'oci', repository };
    }
    default:
      throw bad(url, `unknown scheme "${scheme}"`);
  }
}

/** The URL in its one spelling, so that the same store is not added twice under two names. */
export function formatStoreUrl(location: StoreLocation): string {
  switch (location.kind) {
    case 'file':
      return `file://${location.path}`;
    case 's3':
      return `s3://${location.bucket}${location.prefix ? `/${location.prefix}` : ''}`;
    case 'oci':
      return `oci://${location.repository}`;
  }
}
