/**
 * The README's shell examples run as written, through the built CLI a user runs (the bundle, not
 * the sources the other tests import: a dynamic import that worked unbundled once broke `kcr
 * install --dry-run=client -o yaml` in the bundle only). Each `kcr …` line of a ```sh block is run
 * in order from the repository root, with a fresh HOME; the lines that need a cluster are listed
 * below and only checked to parse (`--help` of their command), since their names are examples.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtBin, REPO_ROOT } from '../../src/testing/built-cli.js';

/** Commands whose README examples name a cluster's pods, nodes and registries. */
const NEEDS_CLUSTER = new Set(['doctor', 'checkpoint', 'restore', 'migrate']);

interface Example {
  args: string[];
  /** In a block that starts from a cluster (the archives it names come from there). */
  cluster: boolean;
}

/** Every `kcr …` command line of the README's ```sh blocks, in order (comments dropped). */
function readmeCommands(): Example[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const commands: Example[] = [];
  for (const block of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const inBlock: string[][] = [];
    for (const raw of block[1]!.split('\n')) {
      // The first block runs `npm install && npx kcr …`: the kcr part is what is checked here.
      const line = raw.replace(/\s#\s.*$/, '').trim();
      const at = line.search(/(?:^|\s)(?:npx )?kcr\s/);
      if (at < 0) continue;
      const words = line
        .slice(at)
        .trim()
        .split(/\s+/)
        .filter((w) => w !== 'npx');
      inBlock.push(words.slice(1));
    }
    const cluster = inBlock.some((args) => NEEDS_CLUSTER.has(args[0]!));
    commands.push(...inBlock.map((args) => ({ args, cluster })));
  }
  return commands;
}

let home: string;
let kcr: string;

beforeAll(async () => {
  kcr = builtBin('kcr');
  home = await mkdtemp(join(tmpdir(), 'kcr-readme-'));
});

afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built kcr; `until` ends a server once its output matches (the exit code is then null). */
function run(args: string[], until?: RegExp): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [kcr, ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: home, KCR_CATALOG: join(home, 'catalog.db') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const check = () => {
      if (until && until.test(stdout + stderr)) child.kill('SIGTERM');
    };
    child.stdout.on('data', (d: Buffer) => ((stdout += d.toString()), check()));
    child.stderr.on('data', (d: Buffer) => ((stderr += d.toString()), check()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: until ? null : code, stdout, stderr }));
  });
}

describe("the README's shell examples", () => {
  const commands = readmeCommands();

  it('are found (the README keeps its examples in ```sh blocks)', () => {
    expect(commands.length).toBeGreaterThanOrEqual(10);
    expect(commands.map((c) => c.args[0])).toEqual(
      expect.arrayContaining(['inspect', 'backup', 'install', 'ui']),
    );
  });

  it.each(commands.map((c) => [c.args.join(' '), c] as const))('kcr %s', async (_name, { args, cluster }) => {
    if (cluster) {
      const help = await run([args[0]!, '--help']);
      expect(help.code, help.stderr).toBe(0);
      return;
    }
    if (args[0] === 'ui') {
      // A server: it runs until it has printed the URL to open. Port 0 instead of the README's
      // 7070, which another program on a test machine may hold.
      const port = args.indexOf('--port');
      const served = await run(
        args.map((a, i) => (i === port + 1 ? '0' : a)),
        /http:\/\/127\.0\.0\.1:\d+\/\S*token=/,
      );
      expect(served.stdout + served.stderr).toMatch(/http:\/\/127\.0\.0\.1:\d+\/\S*token=/);
      return;
    }
    const r = await run(args);
    expect(r.stderr).not.toMatch(/internal error|^\s+at /m);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(0);
  });
});

describe('the built CLI', () => {
  it('reads a YAML retention policy (kcr prune --policy), which it loads lazily', async () => {
    const policy = join(home, 'policy.yaml');
    await writeFile(policy, 'rules:\n  - namespace: default\n    keepLast: 1\n');
    const r = await run([
      'prune',
      '--store',
      `file://${join(home, 'policy-store')}`,
      '--policy',
      policy,
      '--dry-run',
    ]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('nothing to prune');
  });
});
