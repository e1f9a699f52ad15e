/**
 * A store on a full disk: the put fails with one clear error, nothing is listed and no partial
 * data stays behind. The disk is a real 1 MiB tmpfs (mounting needs root; CI runs .ci/run as
 * root, elsewhere the test is skipped).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../src/testing/archive-builder.js';
import { kcrWithHome, WEB_1 } from '../../src/testing/backup-cli.js';

function mountTinyTmpfs(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'kcr-full-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

const disk = mountTinyTmpfs();
const tmp = tempDir('kcr-full-disk-home-');
afterAll(() => {
  if (disk) {
    execFileSync('umount', [disk]);
    rmSync(disk, { recursive: true, force: true });
  }
  tmp.cleanup();
});

describe('a store on a full disk', () => {
  it.skipIf(!disk)(
    'refuses the backup with one error and a hint, and leaves nothing listed or half-written',
    async () => {
      const kcr = kcrWithHome(tmp.path('home'), tmp.dir);
      const r = await kcr('backup', WEB_1, '--store', `file://${disk}/store`);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `error: file://${disk}/store: no space left on the device; nothing was stored\nhint: free space there, or prune old backups with \`kcr prune --store …\`\n`,
      );
      expect(r.stdout).toBe('');
      expect(readdirSync(join(disk!, 'store', 'incoming'))).toEqual([]);
      expect(readdirSync(join(disk!, 'store', 'backups'))).toEqual([]);
      expect((await kcr('backups', '-o', 'json')).stdout).toBe('[]\n');
    },
  );
});
