/** The real executables (bin/), built on demand when a test runs before `npm run build`. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from './fixtures.js';

export const REPO_ROOT = join(FIXTURES, '..', '..');

export function builtBin(name: 'kcr' | 'kubectl-kcr'): string {
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli-bundle', 'bin.js'))) {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'ignore' });
  }
  return join(REPO_ROOT, 'bin', `${name}.js`);
}
