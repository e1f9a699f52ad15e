/**
 * The hot offline commands are also built as one file each (src/cli/fast/, fast-NAME.js), which
 * bin/kcr.js runs when the command line starts with that command. A user must not be able to tell
 * them from the full CLI except by the clock: same output, same errors, same exit codes.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtBin, REPO_ROOT } from '../../src/testing/built-cli.js';
import { fixture } from '../../src/testing/fixtures.js';

const BUNDLE = join(REPO_ROOT, 'dist', 'cli-bundle');
const REAL = fixture('crio-real', 'checkpoint-toolbox_forensics-toolbox-2026-12-02T00:49:14Z.tar');
const NGINX = fixture('podman', 'nginx-webserver-1.tar');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `argv` through one bundle's `main`, in a process of its own, as bin/kcr.js would. */
async function runBundle(file: string, argv: string[]): Promise<Run> {
  const script = `const { main } = await import(${JSON.stringify(pathToFileURL(join(BUNDLE, file)).href)}); await main(${JSON.stringify(argv)});`;
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script],
      { cwd: REPO_ROOT, env: { ...process.env, COLUMNS: '80' } },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The files bin/kcr.js imported for `argv`, as names in dist/cli-bundle. */
async function bundleFilesRunBy(argv: string[]): Promise<string[]> {
  const hooks = `export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.includes('/cli-bundle/')) console.error('LOADED ' + r.url.split('/').pop()); return r; }`;
  const { stderr } = await promisify(execFile)(process.execPath, [
    '--import',
    `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}));`)}`,
    builtBin('kcr'),
    ...argv,
  ]);
  return [...stderr.matchAll(/^LOADED (\S+)$/gm)].map((m) => m[1]!);
}

beforeAll(() => {
  builtBin('kcr'); // builds dist/ when a test runs before `npm run build`
});

describe('the one-file builds of the hot commands', () => {
  it('are built for mem, secrets, show and inspect', () => {
    const fast = readdirSync(BUNDLE).filter((f) => /^fast-.*\.js$/.test(f));
    expect(fast.sort()).toEqual(['fast-inspect.js', 'fast-mem.js', 'fast-secrets.js', 'fast-show.js']);
  });

  it('kcr runs the one file for a command line that starts with its command, the full CLI otherwise', async () => {
    const search = ['mem', 'search', NGINX, '-s', 'nginx', '-c'];
    expect(await bundleFilesRunBy(search)).toEqual(['fast-mem.js']);
    const quiet = await bundleFilesRunBy(['-q', ...search]);
    expect(quiet[0]).toBe('bin.js');
    expect(quiet).not.toContain('fast-mem.js');
    expect((await bundleFilesRunBy(['version']))[0]).toBe('bin.js');
  });

  it.each([
    ['mem', ['mem', 'search', REAL, '-s', 'counter', '-C', '16']],
    ['mem', ['mem', 'maps', REAL, '-o', 'json']],
    ['mem', ['mem', 'search', REAL, '-s', 'no-such-string-anywhere']],
    ['mem', ['mem', 'search', REAL, '-s', 'x', '--max', 'lots']],
    ['mem', ['mem', 'serch', REAL]],
    ['mem', ['mem', '--help']],
    ['secrets', ['secrets', REAL, '--memory', '-o', 'json']],
    ['secrets', ['secrets', '--help']],
    ['show', ['show', REAL]],
    ['show', ['show', '/no/such/archive.tar']],
    ['inspect', ['inspect', REAL, '--ps', '--sockets', '-o', 'yaml']],
    ['inspect', ['inspect', '--help']],
  ])('kcr %s gives what the full CLI gives: %j', async (name, argv) => {
    const [fast, full] = await Promise.all([runBundle(`fast-${name}.js`, argv), runBundle('bin.js', argv)]);
    expect(fast).toEqual(full);
    expect(full.stdout.length + full.stderr.length).toBeGreaterThan(0);
  });
});
