/**
 * `kcr backups` over a catalog larger than a page: the default page and the line saying what it
 * left out, --all and --limit 0 streaming every row in order, -o json/yaml honouring the same
 * limit, and paging on with --after.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalog, entryToRow, type BackupRow } from '../../src/backup/index.js';
import { DEFAULT_LIMIT } from '../../src/cli/commands/backups.js';
import { renderBackups } from '../../src/cli/output/backup-printers.js';
import { tempDir } from '../../src/testing/archive-builder.js';
import { syntheticHistory } from '../../src/testing/backup-history.js';
import { runCliCaptured } from '../../src/testing/run-cli.js';

const tmp = tempDir('kcr-backups-list-');
const home = tmp.path('home');
const HISTORY = syntheticHistory(1203);
/** The backups (tombstones aside), newest first. */
let ROWS: BackupRow[];

beforeAll(() => {
  const catalog = Catalog.open(join(home, 'kcr', 'catalog.db'));
  catalog.addStore('big', 'file:///nowhere');
  catalog.replaceEntries('big', HISTORY);
  ROWS = catalog.query();
  catalog.close();
});
afterAll(() => tmp.cleanup());

const kcr = (...argv: string[]) =>
  runCliCaptured(['backups', ...argv], { env: { XDG_DATA_HOME: home, KCR_CATALOG: '' }, cwd: tmp.dir });

/** The ids of a table's rows, and the column where each header starts. */
function table(stdout: string) {
  const [header, ...lines] = stdout.trimEnd().split('\n');
  return { header: header!, lines, ids: lines.map((l) => l.split(' ')[0]) };
}

describe('kcr backups over more backups than a page', () => {
  it('shows the newest page and says on stderr how many more there are and how to see them', async () => {
    const r = await kcr();
    expect(r.code).toBe(0);
    const t = table(r.stdout);
    expect(DEFAULT_LIMIT).toBe(500);
    expect(t.ids).toEqual(ROWS.slice(0, 500).map((row) => row.id));
    expect(r.stderr).toBe(
      `${ROWS.length - 500} more; see them with --all, --limit N or --after ${ROWS[499]!.id}\n`,
    );
  });

  it('lays every streamed line out under its header, pinned and encrypted flags included', async () => {
    const r = await kcr('--limit', '40', '-o', 'wide');
    const t = table(r.stdout);
    const starts = ['NAMESPACE', 'CREATED', 'STORE', 'FLAGS', 'NODE', 'SHA256', 'LABELS'].map((h) =>
      t.header.indexOf(h),
    );
    expect(t.lines.some((l) => l.includes('pinned'))).toBe(true);
    expect(t.lines.some((l) => l.includes('encrypted'))).toBe(true);
    for (const [i, line] of t.lines.entries()) {
      const row = ROWS[i]!;
      for (const start of starts) expect(line[start - 1]).toBe(' ');
      expect(line.slice(starts[0]).startsWith(row.namespace!)).toBe(true);
      const flags = [row.pinned && 'pinned', row.encrypted && 'encrypted'].filter(Boolean).join(',');
      expect(line.slice(starts[3]).split(' ')[0]).toBe(flags || '<none>');
      expect(line.slice(starts[5]).startsWith(row.sha256)).toBe(true);
      expect(line.slice(starts[6])).toBe(
        Object.entries(row.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
      );
    }
  });

  it.each([['--all'], ['--limit', '0']])(
    '%s streams every backup, newest first, and nothing on stderr',
    async (...flags) => {
      const r = await kcr(...flags);
      expect(table(r.stdout).ids).toEqual(ROWS.map((row) => row.id));
      expect(r.stderr).toBe('');
    },
  );

  it('fits an 80-column terminal: the columns it can spare go, ids stay whole', async () => {
    const r = await runCliCaptured(['backups', '--limit', '40'], {
      env: { XDG_DATA_HOME: home, KCR_CATALOG: '' },
      cwd: tmp.dir,
      terminalColumns: 80,
    });
    expect(r.code).toBe(0);
    const t = table(r.stdout);
    expect(t.ids).toEqual(ROWS.slice(0, 40).map((row) => row.id));
    for (const line of [t.header, ...t.lines]) expect(line.length).toBeLessThanOrEqual(79);
    expect(t.header.split(/ +/)).toEqual(['ID', 'NAMESPACE', 'POD', 'CONTAINER', 'SIZE']);
    // Off a terminal nothing is cut: the same rows, every column whole.
    const piped = table((await kcr('--limit', '40')).stdout);
    expect(piped.header.split(/ +/)).toContain('STORE');
    expect(Math.max(...piped.lines.map((l) => l.length))).toBeGreaterThan(79);
  });

  it('-o json honours the limit, and the whole stream is the same document as the array printer', async () => {
    const page = await kcr('-o', 'json', '--limit', '7');
    expect(JSON.parse(page.stdout)).toEqual(ROWS.slice(0, 7));
    expect(page.stderr).toMatch(new RegExp(`^${ROWS.length - 7} more; .* --after ${ROWS[6]!.id}\\n$`));
    const all = await kcr('-o', 'json', '--all');
    expect(all.stdout).toBe(renderBackups(ROWS, 'json'));
    expect((await kcr('-o', 'yaml', '--limit', '9')).stdout).toBe(renderBackups(ROWS.slice(0, 9), 'yaml'));
  });

  it('pages on with the --after the hint names, until every backup was shown once', async () => {
    const seen: string[] = [];
    let args = ['--limit', '450'];
    for (;;) {
      const r = await kcr('-o', 'json', ...args);
      seen.push(...(JSON.parse(r.stdout) as BackupRow[]).map((row) => row.id));
      const after = / --after (\S+)\n$/.exec(r.stderr)?.[1];
      if (!after) break;
      args = ['--limit', '450', '--after', after];
    }
    expect(seen).toEqual(ROWS.map((row) => row.id));
  });

  it('counts and filters in the catalog: -l and --removed with a page', async () => {
    const web = ROWS.filter((row) => row.labels.tier === 'web');
    const r = await kcr('-l', 'tier=web', '--limit', '10', '-o', 'json');
    expect(JSON.parse(r.stdout)).toEqual(web.slice(0, 10));
    expect(r.stderr).toMatch(new RegExp(`^${web.length - 10} more;`));
    const removed = HISTORY.filter((e) => e.kind === 'Tombstone').map((e) => entryToRow('big', e));
    const withRemoved = JSON.parse((await kcr('--removed', '--all', '-o', 'json')).stdout) as BackupRow[];
    expect(withRemoved).toHaveLength(ROWS.length + removed.length);
    expect(withRemoved.filter((row) => row.kind === 'Tombstone')).toEqual(expect.arrayContaining(removed));
  });

  it.each([
    [['--limit', '-1'], /^error: --limit -1: not a count\nhint: .*--all/],
    [['--limit', 'ten'], /^error: backups: .*--limit takes a whole number, got "ten"/],
    [['--all', '--limit', '3'], /^error: backups: option '--all' cannot be used with option '--limit <n>'/],
    [['--after', '20200101t000000z-00000000'], /^error: --after 20200101t000000z-00000000: no such backup/],
  ])('refuses %j with one error and a hint', async (args, message) => {
    const r = await kcr(...args);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(2);
  });
});
