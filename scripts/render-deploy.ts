/**
 * Writes deploy/ (the kustomize base and overlays) from src/cluster/manifests.ts, the one source of
 * the install manifests. Run `npx tsx scripts/render-deploy.ts` after changing them; a test fails
 * while deploy/ differs from what this writes.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deployFiles } from '../src/cluster/deploy-files.js';

const root = fileURLToPath(new URL('../deploy/', import.meta.url));
await rm(root, { recursive: true, force: true });
for (const [path, text] of deployFiles()) {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), text);
}
console.log(`wrote ${deployFiles().size} files under deploy/`);
