/** Opens the store a URL names; the S3 and OCI clients load only when such a store is used. */
import { FileStore } from './file-store.js';
import type { Store } from './store.js';
import { parseStoreUrl, type StoreOptions } from './store-url.js';

export async function openStore(url: string, options: StoreOptions = {}): Promise<Store> {
  const location = parseStoreUrl(url);
  switch (location.kind) {
    case 'file':
      return new FileStore(location.path);
    case 's3': {
      const { S3Store } = await import('./s3-store.js');
      return new S3Store(location, options);
    }
    case 'oci': {
      const { OciStore } = await import('./oci-store.js');
      return new OciStore(location.repository, options);
    }
  }
}
