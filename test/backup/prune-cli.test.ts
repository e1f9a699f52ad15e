/**
 * kcr prune as a user runs it: a dry run lists exactly what the real run removes, and why;
 * pinned backups stay; the chain still verifies; a node's raw archives prune by the same rules.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../src/testing/archive-builder.js';
import { CTHREADS, kcrWithHome, WEB_1, WEB_2 } from '../../src/testing/backup-cli.js';

const tmp = tempDir('kcr-prune-cli-');
afterAll(() => tmp.cleanup());

const kcrIn = (home: string) => kcrWithHome(home, tmp.dir);

describe('kcr prune', () => {
  it('a dry run shows what goes and why; the real run removes exactly that; pins and the chain hold', async () => {
    const kcr = kcrIn(tmp.path('home'));
    for (const archive of [WEB_1, WEB_2, CTHREADS]) expect((await kcr('backup', archive)).code).toBe(0);
    const rows = JSON.parse((await kcr('backups', '-o', 'json')).stdout) as { id: string; pod: string }[];
    const [newestWeb, oldestWeb] = rows.filter((r) => r.pod === 'webserver');

    const dry = await kcr('prune', '--keep-last', '1', '--dry-run', '-o', 'json');
    expect(dry.code).toBe(0);
    const planned = JSON.parse(dry.stdout) as { dryRun: boolean; removed: { id: string; reason: string }[] };
    expect(planned).toEqual({
      dryRun: true,
      removed: [
        expect.objectContaining({
          id: oldestWeb!.id,
          reason: 'keep-last 1 (per container): container default/webserver/webserver has 1 newer',
        }),
      ],
    });
    expect(JSON.parse((await kcr('backups', '-o', 'json')).stdout)).toHaveLength(3);

    const table = await kcr('prune', '--keep-last', '1', '--dry-run');
    expect(table.stdout).toMatch(/^ID\s+NAMESPACE\s+POD\s+CONTAINER\s+TAKEN\s+SIZE\s+REASON\n/);
    expect(table.stdout).toMatch(/would remove 1 \(3\.29 MiB\)\n$/);

    await kcr('backup', 'pin', oldestWeb!.id);
    expect((await kcr('prune', '--keep-last', '1')).stdout).toBe('nothing to prune\n');
    await kcr('backup', 'unpin', oldestWeb!.id);
    const real = await kcr('prune', '--keep-last', '1', '-o', 'json');
    expect((JSON.parse(real.stdout) as typeof planned).removed.map((r) => r.id)).toEqual([oldestWeb!.id]);
    const left = JSON.parse((await kcr('backups', '-o', 'json')).stdout) as { id: string }[];
    expect(left.map((r) => r.id).sort()).toEqual(
      rows
        .filter((r) => r.id !== oldestWeb!.id)
        .map((r) => r.id)
        .sort(),
    );
    expect(left.map((r) => r.id)).toContain(newestWeb!.id);
    const verify = await kcr('verify', '--chain');
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain('3 records (1 tombstone) intact');
    const removed = JSON.parse((await kcr('backup', 'get', oldestWeb!.id, '-o', 'json')).stdout) as {
      kind: string;
      reason: string;
    };
    expect(removed).toMatchObject({
      kind: 'Tombstone',
      reason: expect.stringMatching(/^pruned: keep-last 1/),
    });
  });

  it('a policy file scopes rules; the most specific wins', async () => {
    const kcr = kcrIn(tmp.path('home-policy'));
    for (const archive of [WEB_1, WEB_2, CTHREADS]) await kcr('backup', archive);
    writeFileSync(tmp.path('policy.yaml'), 'rules:\n  - namespace: default\n    keepLast: 5\n');
    const r = await kcr(
      'prune',
      '--keep-last',
      '0',
      '--policy',
      tmp.path('policy.yaml'),
      '--dry-run',
      '-o',
      'json',
    );
    const plan = JSON.parse(r.stdout) as { removed: { pod: string }[] };
    expect(plan.removed.map((x) => x.pod)).toEqual(['cthreads']);
  });

  it('prunes the raw archives of a node directory by the same rules, with their saved Pod objects', async () => {
    const dir = tmp.path('checkpoints');
    mkdirSync(dir);
    for (const archive of [WEB_1, WEB_2, CTHREADS])
      copyFileSync(archive, `${dir}/${archive.split('/').pop()}`);
    const older = `${dir}/${WEB_1.split('/').pop()}`;
    writeFileSync(`${older}.pod.json`, '{"kind":"Pod"}');
    const kcr = kcrIn(tmp.path('home-node'));
    const dry = await kcr('prune', '--node-dir', dir, '--keep-last', '1', '--dry-run');
    expect(dry.stdout).toContain(older);
    expect(existsSync(older)).toBe(true);
    const real = await kcr('prune', '--node-dir', dir, '--keep-last', '1');
    expect(real.stdout).toMatch(/removed 1 \(3\.29 MiB\)/);
    expect(existsSync(older)).toBe(false);
    expect(existsSync(`${older}.pod.json`)).toBe(false);
    expect(existsSync(`${dir}/${WEB_2.split('/').pop()}`)).toBe(true);
  });

  it.each([
    [['prune'], /^error: kcr prune needs a limit: .*\nhint: for example: kcr prune --keep-last 5 /],
    [['prune', '--max-size', 'lots'], /^error: --max-size lots: not a size\nhint: /],
    [['prune', '--max-age', '7 days'], /^error: --max-age 7 days: not a duration/],
  ])('bad input %j: one error and a hint, each within 80 columns', async (argv, message) => {
    const r = await kcrIn(tmp.path('home-bad'))(...argv);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(2);
    for (const line of r.stderr.trim().split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
  });
});
