/** What the backup commands print for a user: what they did, in the formats every command takes. */
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../src/testing/archive-builder.js';
import { kcrWithHome, WEB_1, WEB_2 } from '../../src/testing/backup-cli.js';

const tmp = tempDir('kcr-json-shapes-');
afterAll(() => tmp.cleanup());

describe('results a user can see', () => {
  it('kcr backup get --output-file says what it wrote, and prints nothing else with -o json', async () => {
    const kcr = kcrWithHome(tmp.path('home-get'), tmp.dir);
    const [row] = JSON.parse((await kcr('backup', WEB_1, '-o', 'json')).stdout) as [{ id: string }];
    const got = await kcr('backup', 'get', row.id, '--output-file', 'back.tar');
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout).toMatch(/^wrote back\.tar \(3\.29 MiB, sha256 [0-9a-f]{64} checked\)\n$/);
    const both = await kcr('backup', 'get', row.id, '--output-file', 'again.tar', '-o', 'json');
    expect(JSON.parse(both.stdout)).toMatchObject({ id: row.id });
  });

  it('kcr backup ARCHIVE -o json|yaml prints the list of rows kcr backups prints, even for one backup', async () => {
    const kcr = kcrWithHome(tmp.path('home-shape'), tmp.dir);
    const made = await kcr('backup', WEB_1, '-o', 'json');
    expect(made.code, made.stderr).toBe(0);
    const listed = JSON.parse((await kcr('backups', '-o', 'json')).stdout) as { id: string }[];
    expect(listed).toHaveLength(1);
    expect(JSON.parse(made.stdout)).toEqual(listed);
    const yaml = await kcr('backup', WEB_2, '-o', 'yaml');
    expect(yaml.code, yaml.stderr).toBe(0);
    expect(yaml.stdout).toMatch(/^- store: default\n {2}id: \S+\n {2}kind: Backup\n/);
  });

  it('kcr verify takes -o table as every command does (and -o text, its old name), in words that count', async () => {
    const kcr = kcrWithHome(tmp.path('home-verify'), tmp.dir);
    await kcr('backup', WEB_1);
    for (const format of ['table', 'text']) {
      const r = await kcr('verify', '--chain', '-o', format);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^ok {6}default: 1 chain, 1 record \(0 tombstones\) intact$/m);
    }
  });

  it('kcr install --dry-run prints YAML unless -o json, and -o table is refused with the formats it takes', async () => {
    const kcr = kcrWithHome(tmp.path('home-install'), tmp.dir);
    expect((await kcr('install', '--dry-run')).stdout).toMatch(/^---\napiVersion: /);
    const table = await kcr('install', '--dry-run', '-o', 'table');
    expect(table.code).toBe(1);
    expect(table.stderr).toMatch(/^error: -o\/--output takes an output format \(yaml, json\), not "table"\n/);
  });
});
