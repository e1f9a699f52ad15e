/** Opens the store a URL names; the S3 and OCI clients load only when such a store is used. */
import { KcrError } from '../../errors.js';
import { FileStore } from './file-store.js';
import type { Store } from './store.js';
import { parseStoreUrl, type StoreOptions } from './store-url.js';

export async function openStore(url: string, options: StoreOptions = {}): Promise<Store> {
  const location = parseStoreUrl(url);
  switch (location.kind) {
    case 'file':
      return new FileStore(location.path);
    case 's3':
    case 'oci':
      void options;
      throw new KcrError('usage', `${url}: ${location.kind}:// stores are not available yet`, {
        hint: 'use a file:// store for now',
      });
  }
}
