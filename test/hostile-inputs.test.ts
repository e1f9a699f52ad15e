/**
 * The hostile-input suite: every archive src/testing/hostile-inputs.ts builds (tar fields, PAX lies,
 * truncations, gzip/zstd bombs, damaged metadata, absurd CRIU values, cycles, duplicates, control
 * bytes, rootfs diffs pointing outside) goes through the read commands in this process, one input
 * after the other. Each run must end in bounded time with exit 0 or 2 (3 for `secrets` findings),
 * one `error:` and one `hint:` line when it fails, no internal error or stack trace, no planted
 * secret on any output, no temp file left, nothing written outside the target, and bounded memory.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../src/testing/archive-builder.js';
import { fixture } from '../src/testing/fixtures.js';
import { builtBin } from '../src/testing/built-cli.js';
import { hostileInputs, rawTar, type HostileInput } from '../src/testing/hostile-inputs.js';
import { runCliCaptured, type CliResult } from '../src/testing/run-cli.js';

const tmp = tempDir('kcr-hostile-');
const inputsDir = join(tmp.dir, 'in');
const kcrTmp = join(tmp.dir, 'kcr-tmp');
const work = join(tmp.dir, 'cwd');
const env = { HOME: tmp.dir, PATH: process.env.PATH, KCR_TMPDIR: kcrTmp };
/** No command on these small inputs may take longer (the bombs stop at their first non-tar byte). */
const RUN_LIMIT_MS = 20_000;
/** The worker's resident memory may grow by at most this much over the whole suite. */
const RSS_GROWTH_LIMIT = 1024 * 1024 * 1024;

let inputs: Array<HostileInput & { path: string }>;

beforeAll(async () => {
  for (const d of [inputsDir, kcrTmp, work]) mkdirSync(d, { recursive: true });
  const built = await hostileInputs(fixture('podman', 'busybox-counter.tar'));
  inputs = built.map((input, i) => {
    const path = join(inputsDir, `${String(i).padStart(3, '0')}${input.ext}`);
    writeFileSync(path, input.bytes);
    return { ...input, path };
  });
}, 120_000);

afterAll(() => tmp.cleanup());

/** The 100k-process inputs are linear work, but 100k tasks' worth of it on a shared CI machine. */
const HEAVY_RUN_LIMIT_MS = 90_000;

async function run(args: string[], limitMs = RUN_LIMIT_MS): Promise<CliResult | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), limitMs);
  });
  try {
    return await Promise.race([runCliCaptured(args, { env, cwd: work }), limit]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What a terminal obeys instead of drawing: C0 controls but tab and newline, DEL, and C1 (U+0080 to
 * U+009F, which an 8-bit terminal reads as CSI and friends). The inputs plant ESC, OSC 52 and U+009B
 * in member names, metadata, annotations and rootfs names; all of it must come out escaped.
 */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/** What is wrong with one run, or undefined when it behaved. */
function problem(res: CliResult | 'timeout', allowed: number[], secret?: string): string | undefined {
  if (res === 'timeout') return 'no answer in time';
  const out = `${res.stdout}\n${res.stderr}`;
  if (!allowed.includes(res.code)) return `exit ${res.code}: ${res.stderr.slice(0, 300)}`;
  if (/internal error/.test(res.stderr)) return `internal error: ${res.stderr.slice(0, 300)}`;
  if (/^\s+at .+\(.+:\d+:\d+\)$/m.test(out)) return 'stack trace printed';
  if (secret && out.includes(secret)) return 'printed the planted secret';
  const raw = RAW_CONTROL.exec(out);
  if (raw) return `printed a raw control character U+${raw[0].charCodeAt(0).toString(16).padStart(4, '0')}`;
  if (res.code === 2) {
    const lines = res.stderr.split('\n');
    const errors = lines.filter((l) => l.startsWith('error: ')).length;
    const hints = lines.filter((l) => l.startsWith('hint: ')).length;
    // A partial answer (inspect's views not shown, list's unreadable archives) shows what it could
    // and names each failure on a `warning:` line, exit 2.
    const partial =
      errors === 0 &&
      hints === 0 &&
      lines.some((l) => /^warning: .*( not shown: | could not be read)/.test(l));
    if (!partial && (errors !== 1 || hints !== 1))
      return `${errors} error and ${hints} hint lines: ${res.stderr.slice(0, 300)}`;
  }
  return undefined;
}

const TREE = { args: (p: string) => ['inspect', p, '--ps-tree', '--env'], allowed: [0, 2] };
const COMMANDS: Array<{ args: (path: string) => string[]; allowed: number[] }> = [
  { args: (p) => ['show', p], allowed: [0, 2] },
  { args: (p) => ['inspect', p, '--all', '-o', 'json'], allowed: [0, 2] },
  TREE,
  { args: (p) => ['secrets', p], allowed: [0, 2, 3] },
  { args: (p) => ['mem', p], allowed: [0, 2] },
];

/**
 * Inputs refused while the tar is indexed fail the same way under every command (they never get
 * past opening the archive), so two commands prove it; the rest get all five. The 100k-process
 * inputs get the process tree, the view they attack.
 */
const INDEX_KINDS = new Set([
  'tar numeric field',
  'PAX size',
  'PAX mtime',
  'PAX path',
  'GNU long name',
  'truncated tar',
  'gzip',
  'zstd',
]);
function commandsFor(input: HostileInput): typeof COMMANDS {
  if (input.heavy) return [TREE];
  return INDEX_KINDS.has(input.kind) ? COMMANDS.slice(0, 2) : COMMANDS;
}

describe('hostile archives', () => {
  it('are built fresh: at least 200 inputs, covering every class of the audit', () => {
    expect(inputs.length).toBeGreaterThanOrEqual(200);
    expect(new Set(inputs.map((i) => i.kind))).toEqual(
      new Set([
        ...INDEX_KINDS,
        'metadata',
        'CRIU mm',
        'CRIU pstree',
        'CRIU image',
        'duplicates',
        'control bytes',
        'rootfs diff',
      ]),
    );
  });

  it('every read command ends in time, with exit 0 or 2, one error and one hint, no secret, nothing left behind', async () => {
    const failures: string[] = [];
    const rssAtStart = process.memoryUsage().rss;
    let peakGrowth = 0;
    for (const input of inputs) {
      for (const command of commandsFor(input)) {
        const args = command.args(input.path);
        const res = await run(args, input.heavy ? HEAVY_RUN_LIMIT_MS : RUN_LIMIT_MS);
        const why = problem(res, command.allowed, input.secret);
        if (why) failures.push(`${input.id} (${input.kind}): kcr ${args.slice(0, -1).join(' ')} …: ${why}`);
      }
      const left = readdirSync(kcrTmp);
      if (left.length > 0) failures.push(`${input.id}: left ${left.join(', ')} in KCR_TMPDIR`);
      peakGrowth = Math.max(peakGrowth, process.memoryUsage().rss - rssAtStart);
    }
    expect(readdirSync(work)).toEqual([]);
    expect(failures).toEqual([]);
    expect(peakGrowth).toBeLessThan(RSS_GROWTH_LIMIT);
  }, 600_000);

  it('lists a directory of hostile archives without hanging, showing the readable ones', async () => {
    const res = await run(['list', inputsDir]);
    expect(res).not.toBe('timeout');
    expect(problem(res, [0, 2])).toBeUndefined();
  }, 60_000);

  it('extracts nothing from rootfs diffs that point outside, and writes only into the target', async () => {
    const failures: string[] = [];
    for (const input of inputs.filter((i) => i.kind === 'rootfs diff')) {
      const target = join(tmp.dir, `extract-${input.id}`);
      mkdirSync(target);
      for (const path of ['/etc/passwd', '/etc/hosts', '../../escape', '/etc/cron.d/x']) {
        const res = await run(['rootfs', 'extract', input.path, path, '--output-file', target]);
        const why = problem(res, [0, 2]);
        if (why) failures.push(`${input.id} ${path}: ${why}`);
      }
      for (const name of readdirSync(target, { recursive: true }) as string[]) {
        if (!statSync(join(target, name)).isFile() && !statSync(join(target, name)).isDirectory())
          failures.push(`${input.id}: wrote ${name}, not a regular file`);
      }
    }
    expect(readdirSync(tmp.dir).filter((n) => n === 'escape')).toEqual([]);
    expect(failures).toEqual([]);
  }, 120_000);

  it('shows duplicate members and parent cycles under a warning, saying which copy was read', async () => {
    const dup = inputs.find((i) => i.id === 'duplicate-config')!;
    const shown = await run(['inspect', dup.path]);
    expect(shown).not.toBe('timeout');
    const res = shown as CliResult;
    expect(res.stderr).toContain('warning: ');
    expect(res.stderr).toContain('member config.dump occurs 2 times; the last one is read');
    const cycle = inputs.find((i) => i.id === 'pstree-cycle')!;
    const tree = (await run(['inspect', cycle.path, '--ps-tree'])) as CliResult;
    expect(tree.stdout).toMatch(/warning: 3 processes in a parent cycle \(36 → 37 → 38 → 36\)/);
    for (const pid of [36, 37, 38]) expect(tree.stdout).toContain(`[${pid}] `);
  }, 60_000);
});

describe('--max-inflate', () => {
  it('bounds what a compressed archive may inflate to, for every reading command', async () => {
    const gz = inputs.find((i) => i.id === 'gzip-valid')!;
    const zst = inputs.find((i) => i.id === 'zstd-valid')!;
    expect((await run(['show', gz.path])) as CliResult).toMatchObject({ code: 0 });
    for (const args of [
      ['show', gz.path],
      ['inspect', zst.path],
      ['mem', gz.path],
      ['secrets', zst.path],
    ]) {
      const res = (await run([...args, '--max-inflate', '64KiB'])) as CliResult;
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr).toMatch(/^error: .*: inflates to more than 64\.0 KiB$/m);
      expect(res.stderr).toMatch(/^hint: .*KCR_TMPDIR/m);
      expect(readdirSync(kcrTmp)).toEqual([]);
    }
    const bad = (await run(['show', gz.path, '--max-inflate', 'lots'])) as CliResult;
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('error: --max-inflate lots: not a size');
  }, 60_000);
});

describe('writing onto a device', () => {
  /**
   * A null device of our own (as root, mknod c 1 3), so that a regression replaces a temp node and
   * not the machine's /dev/null; without root, /dev/null itself (then kcr cannot replace it anyway).
   */
  function nullDevice(): string {
    const own = join(tmp.dir, 'null');
    try {
      execFileSync('mknod', [own, 'c', '1', '3'], { stdio: 'ignore' });
      return own;
    } catch {
      return '/dev/null';
    }
  }

  it('writes into a character device instead of replacing it, and refuses it as a directory', async () => {
    const archive = fixture('podman', 'busybox-counter.tar');
    const device = nullDevice();
    for (const args of [
      ['rootfs', 'extract', archive, '/data/count', '--output-file', device],
      ['mem', 'dump', archive, '--pid', '1', '--hex', '--output-file', device],
    ]) {
      const res = (await run(args)) as CliResult;
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(0);
      expect(statSync(device).isCharacterDevice()).toBe(true);
    }
    const whole = (await run(['mem', 'dump', archive, '--pid', '1', '--output-file', device])) as CliResult;
    expect(problem(whole, [2])).toBeUndefined();
    expect(whole.stderr).toContain(`error: ${device}: is not a directory`);
    expect(statSync(device).isCharacterDevice()).toBe(true);
  }, 60_000);
});

describe('control characters from an archive', () => {
  it('reach the terminal escaped: names, annotations, argv, env, the log and rootfs names', async () => {
    const printed = inputs.filter((i) => i.id.startsWith('printed-'));
    expect(printed.map((i) => i.id)).toEqual([
      'printed-spec',
      'printed-config',
      'printed-log',
      'printed-rootfs-name',
    ]);
    for (const input of printed) {
      for (const args of [
        ['show', input.path],
        ['inspect', input.path, '--all'],
        ['inspect', input.path, '--all', '-o', 'json'],
        ['inspect', input.path, '--all', '-o', 'yaml'],
      ]) {
        const res = (await run(args)) as CliResult;
        expect(problem(res, [0, 2]), `${input.id}: kcr ${args.join(' ')}`).toBeUndefined();
      }
    }
    // The planted values did reach the output, visibly: the check above had something to catch.
    const tree = (await run(['inspect', printed[0]!.path, '--all', '--show-secrets'])) as CliResult;
    for (const what of ['pod', 'ns', 'ctr', 'arg', 'env'])
      expect(tree.stdout).toContain(`${what}\\x1b]52;c;ZWNobyBoaQ==\\x07\\x1b[2J\\u009b31m`);
    const json = (await run(['inspect', printed[1]!.path, '-o', 'json'])) as CliResult;
    expect(json.stdout).toContain('name\\u001b]52;c;ZWNobyBoaQ==\\u0007\\u001b[2J\\u009b31m');
    const log = (await run(['inspect', printed[2]!.path, '--log'])) as CliResult;
    expect(log.stdout).toContain('log\\x1b]52');
    const rootfs = (await run(['inspect', printed[3]!.path, '--rootfs'])) as CliResult;
    expect(rootfs.stdout).toContain('etc/x\\x1b]52');
  }, 60_000);
});

describe('a decompression bomb and a signal', () => {
  it('kcr exits 130 within about a second of SIGTERM, and removes its temporary files', async () => {
    const bomb = join(tmp.dir, 'bomb.tar.gz');
    const zeros = gzipSync(Buffer.alloc(8 * 1024 * 1024), { level: 1 });
    const header = rawTar([
      { name: 'config.dump', fields: { size: Buffer.from((8 * 1024 ** 3).toString(8).padStart(11, '0')) } },
    ]);
    writeFileSync(
      bomb,
      Buffer.concat([gzipSync(header.subarray(0, 512)), ...Array.from({ length: 1024 }, () => zeros)]),
    );
    const bombTmp = join(tmp.dir, 'bomb-tmp');
    mkdirSync(bombTmp);
    const child = spawn(process.execPath, [builtBin('kcr'), 'show', bomb], {
      env: { ...env, KCR_TMPDIR: bombTmp },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Wait until the bomb is being inflated into a temp file.
    for (let i = 0; i < 200 && readdirSync(bombTmp).length === 0; i++) await sleep(50);
    await sleep(300);
    expect(readdirSync(bombTmp)).not.toEqual([]);
    const signalled = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(130);
    expect(Date.now() - signalled).toBeLessThan(3000);
    expect(stderr).toContain('terminated, cleaning up');
    expect(readdirSync(bombTmp)).toEqual([]);
  }, 60_000);
});
