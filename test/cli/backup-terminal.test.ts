/**
 * The backup commands on a real 80-column terminal (tmux, the built CLI), as a newcomer runs the
 * README's examples: every line fits the width, and what a user copies next (an id) is whole.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../src/testing/archive-builder.js';
import { CTHREADS, WEB_1, WEB_2 } from '../../src/testing/backup-cli.js';
import { builtBin } from '../../src/testing/built-cli.js';
import { fixture } from '../../src/testing/fixtures.js';
import { runInTerminal, type TerminalRun } from '../../src/testing/terminal.js';

const COLUMNS = 80;
const tmp = tempDir('kcr-backup-terminal-');
afterAll(() => tmp.cleanup());
const env = { XDG_DATA_HOME: tmp.path('home'), KCR_CATALOG: '' };
const inTerminal = (...args: string[]) =>
  runInTerminal(['node', builtBin('kcr'), ...args], { columns: COLUMNS, env, cwd: tmp.dir });

function expectFits(run: TerminalRun): void {
  for (const line of run.joined) expect(line.length, run.joined.join('\n')).toBeLessThanOrEqual(COLUMNS);
}

const ID = /\b\d{8}t\d{6}z-[0-9a-f]{8}\b/g;
let ids: string[] = [];

beforeAll(async () => {
  for (const archive of [WEB_1, CTHREADS]) expect((await inTerminal('backup', archive)).exitCode).toBe(0);
  const sealed = await inTerminal('backup', WEB_2, '--encrypt-to', fixture('keys', 'age-recipient.txt'));
  expect(sealed.exitCode, sealed.joined.join('\n')).toBe(0);
  ids = (await inTerminal('backups')).joined.join('\n').match(ID) ?? [];
  expect(ids).toHaveLength(3);
});

describe('the backup commands on an 80-column terminal', () => {
  it('prune --dry-run fits, each id whole, each reason wrapped under itself', async () => {
    const run = await inTerminal('prune', '--keep-last', '1', '--dry-run');
    expect(run.exitCode, run.joined.join('\n')).toBe(0);
    expectFits(run);
    expect(run.joined[0]).toMatch(/^ID +SIZE {3}REASON$/);
    const reasons = run.joined
      .slice(1, -1)
      .map((l) => l.slice(run.joined[0]!.indexOf('REASON')))
      .join(' ');
    expect(reasons).toBe('keep-last 1 (per container): container default/webserver/webserver has 1 newer');
    expect(run.joined.join('\n').match(ID)).toEqual([ids[2]]); // the oldest webserver backup
    expect(run.joined.at(-1)).toBe('would remove 1 (3.29 MiB)');
  });

  it('verify --deep --chain fits: a long verdict wraps under its own text', async () => {
    const run = await inTerminal('verify', '--deep', '--chain');
    expect(run.exitCode, run.joined.join('\n')).toBe(0);
    expectFits(run);
    expect(run.joined.join('\n')).toContain(
      `: encrypted: its data matches the record; give\n        --identity to check inside`,
    );
    expect(run.joined.at(-1)).toBe('ok      default: 2 chains, 3 records (0 tombstones) intact');
  });
});
