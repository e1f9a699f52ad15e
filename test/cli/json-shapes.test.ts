/**
 * One thing, one `-o json` shape, whichever command prints it: a script that reads the output of
 * one command can read the other's.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../src/testing/archive-builder.js';
import { CTHREADS, kcrWithHome, WEB_1 } from '../../src/testing/backup-cli.js';

const tmp = tempDir('kcr-json-shapes-');
afterAll(() => tmp.cleanup());

describe('-o json shapes', () => {
  it('kcr backup ARCHIVE prints the list of rows kcr backup POD and kcr backups print', async () => {
    const kcr = kcrWithHome(tmp.path('home'), tmp.dir);
    const stored = await kcr('backup', CTHREADS, '-o', 'json');
    expect(stored.code, stored.stderr).toBe(0);
    const rows = JSON.parse(stored.stdout) as { id: string }[];
    expect(Array.isArray(rows)).toBe(true);
    expect(rows).toHaveLength(1);
    await kcr('backup', WEB_1);
    const listed = JSON.parse((await kcr('backups', '-o', 'json')).stdout) as { id: string }[];
    expect(listed.find((r) => r.id === rows[0]!.id)).toEqual(rows[0]);
    const yaml = await kcr('backup', WEB_1, '-o', 'yaml');
    expect(yaml.stdout).toMatch(/^- store: default\n/);
  });
});
