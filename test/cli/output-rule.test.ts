/**
 * The team-wide output rules, end to end: `-o` is always a format (a path is refused with a hint
 * naming --output-file), `-` is stdout for byte streams, missing directories are created, and text
 * from an archive never reaches the terminal with its control bytes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTar, rewriteArchive, tempDir } from '../../src/testing/archive-builder.js';
import { fixture } from '../../src/testing/fixtures.js';
import { runKcr } from '../../src/testing/cli.js';
import { runCliCaptured } from '../../src/testing/run-cli.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const WEB2 = fixture('crio', 'checkpoint-webserver_default-webserver-2026-11-28T16:03:10Z.tar');
const BUSYBOX = fixture('podman', 'busybox-counter.tar');

/** Raw terminal controls: C0 but newline and tab, DEL, and C1 (U+0080..U+009F). */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('-o is an output format everywhere', () => {
  it.each([
    [['checkpoint', 'web', '-o', 'web.tar'], '--output-file web.tar'],
    [['image', 'pull', 'localhost:1/x:v1', '-o', 'x.tar'], '--output-file x.tar'],
    [['rootfs', 'extract', WEB2, '/etc/passwd', '-o', 'passwd'], '--output-file passwd'],
    [['mem', 'dump', WEB2, '--pid', '1', '-o', 'dump/'], '--output-file dump/'],
    [['mem', 'dump', WEB2, '--pid', '1', '-o', '-'], '--output-file -'],
  ])('refuses a path given to -o in %j, naming --output-file, before doing anything', async (argv, hint) => {
    const r = await runCliCaptured(argv);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^error: .*-o\/--output/);
    expect(lines[1]).toMatch(/^hint: /);
    expect(lines[1]).toContain(hint);
  });

  it('refuses a file name given to a format-only command with a redirect hint', async () => {
    const r = await runCliCaptured(['show', WEB2, '-o', 'out.json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error: -o/--output takes an output format (table, wide, json, yaml), not "out.json"\n' +
        'hint: -o chooses the output format (table, wide, json, yaml); the result goes to stdout, so redirect it: > out.json\n',
    );
  });

  it('writes byte streams to stdout with --output-file -', async () => {
    const viaDash = await runCliCaptured(['rootfs', 'extract', BUSYBOX, '/data/count', '--output-file', '-']);
    expect(viaDash.code, viaDash.stderr).toBe(0);
    expect(viaDash.stdout).toBe('25\n');
  });

  it('creates the directories rootfs extract needs, for a directory and for a file name', async () => {
    const dir = tmp.path('new/deeper') + '/';
    const r = await runCliCaptured([
      'rootfs',
      'extract',
      WEB2,
      '/usr/share/nginx/html/extra.html',
      '--output-file',
      dir,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'usr/share/nginx/html/extra.html'), 'utf8')).toBe('changed\n');
    const file = tmp.path('other/place/count.txt');
    const f = await runCliCaptured(['rootfs', 'extract', BUSYBOX, '/data/count', '--output-file', file]);
    expect(f.code, f.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('25\n');
  });
});

describe('text from an archive is escaped before it is printed', () => {
  const hostile = 'evil\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\u009b31m\r.txt';

  it('escapes control sequences in an error that names an archive path', async () => {
    const r = await runCliCaptured(['rootfs', 'extract', WEB2, `/tmp/${hostile}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(RAW_CONTROL);
    expect(r.stderr).toContain('evil\\x1b]52;c;cm0gLXJmIH4=\\x07\\x1b[2J\\u009b31m\\r.txt');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(2);
  });

  it('escapes a hostile rootfs file name in tables, and keeps JSON valid with C1 escaped', async () => {
    const diff = await buildTar([{ name: `tmp/${hostile}`, data: Buffer.from('x') }]);
    const path = await rewriteArchive(BUSYBOX, tmp.path('hostile.tar'), {
      replace: { 'rootfs-diff.tar': diff },
    });
    const table = await runCliCaptured(['inspect', path, '--rootfs']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).not.toMatch(RAW_CONTROL);
    expect(table.stdout).toContain('\\x1b[2J');
    const json = await runCliCaptured(['inspect', path, '--rootfs', '-o', 'json']);
    expect(json.stdout).not.toMatch(RAW_CONTROL);
    expect(json.stdout).toContain('\\u009b31m');
    expect(JSON.stringify(JSON.parse(json.stdout))).toContain('\u009b31m');
    const yaml = await runCliCaptured(['inspect', path, '--rootfs', '-o', 'yaml']);
    expect(yaml.stdout).not.toMatch(RAW_CONTROL);
  });
});

describe('kcr secrets --memory', () => {
  it('shows progress on a terminal, then values that end at the NUL, and hex addresses in JSON', async () => {
    const shown = await runKcr(['secrets', BUSYBOX, '--memory', '--show-secrets'], { tty: true });
    expect(shown.code).toBe(3);
    expect(shown.stderr).toMatch(/scanning memory \[=* *\] +\d+% /);
    // The bar is cleared before the summary line, and the table holds no raw control bytes.
    expect(shown.stderr).toContain('\x1b[0J3 secrets found in ');
    expect(shown.stdout).not.toMatch(RAW_CONTROL);
    expect(shown.stdout).toMatch(
      /^memory +pid 1 0x[0-9a-f]+ \[stack\] +secret-assignment +SECRET_TOKEN=s3cr3t-busybox-42$/m,
    );
    const json = await runKcr(['secrets', BUSYBOX, '--memory', '-o', 'json']);
    const memory = (
      JSON.parse(json.stdout) as { findings: { source: string; address?: unknown }[] }
    ).findings.filter((f) => f.source === 'memory');
    expect(memory.length).toBe(2);
    for (const f of memory) expect(f.address).toMatch(/^0x[0-9a-f]+$/);
  });
});
