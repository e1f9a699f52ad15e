/**
 * The local image store: an OCI layout under the user's data directory where `kcr image build -t REF`
 * keeps images for a later `kcr image push REF`, as buildah and Podman keep theirs. Index entries are
 * named by the full reference.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function imageStoreDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KCR_IMAGE_STORE) return env.KCR_IMAGE_STORE;
  const data = env.XDG_DATA_HOME ?? join(env.HOME ?? homedir(), '.local', 'share');
  return join(data, 'kcr', 'images');
}
