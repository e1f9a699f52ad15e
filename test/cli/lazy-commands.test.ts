/**
 * kcr loads only the command it runs (src/cli/commands/index.ts): a memory search must not pay
 * for Kubernetes, registries, backups and their validation schemas. Help, completion and typo
 * suggestions still see every command.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { commandWord, PlaceholderRan, registerCommandsFor } from '../../src/cli/command-loader.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { runCli } from '../../src/cli/main.js';
import type { CliContext } from '../../src/cli/context.js';
import { builtBin, REPO_ROOT } from '../../src/testing/built-cli.js';
import { fixture } from '../../src/testing/fixtures.js';
import { runCliCaptured } from '../../src/testing/run-cli.js';

const NGINX = fixture('podman', 'nginx-webserver-1.tar');

/** The program's own options, as main.ts declares them (commandWord reads which take a value). */
function programWithGlobals(): Command {
  return new Command('kcr')
    .version('0', '--version')
    .option('--debug')
    .option('-q, --quiet')
    .option('--max-inflate <size>');
}

describe('the command a command line runs', () => {
  it.each([
    [['mem', 'search', 'a.tar', '-s', 'x'], 'mem'],
    [['--debug', '-q', 'ls'], 'ls'],
    [['--max-inflate', '5G', 'show', 'a.tar'], 'show'],
    [['--max-inflate=5G', 'show'], 'show'],
    [['help', 'image'], 'image'],
    [['--', 'show'], 'show'],
    [['--help'], undefined],
    [[], undefined],
    [['--bogus', 'show'], undefined],
  ])('%j runs %s', (argv, word) => {
    expect(commandWord(programWithGlobals(), argv)).toBe(word);
  });
});

describe('registering commands lazily', () => {
  const ctx = {} as CliContext;

  it('each entry of the table registers the one command it names, with its aliases', async () => {
    for (const entry of COMMANDS) {
      const program = new Command('kcr');
      (await entry.load())(program, ctx);
      expect(program.commands.map((c) => [c.name(), ...c.aliases()])).toEqual([entry.names]);
    }
  });

  it('loads the command on the command line and leaves placeholders that refuse to run', async () => {
    const program = programWithGlobals().exitOverride();
    await registerCommandsFor(program, ctx, ['version'], COMMANDS);
    expect(program.commands.map((c) => c.name())).toEqual(COMMANDS.map((e) => e.names[0]));
    expect(program.commands.find((c) => c.name() === 'version')!.options.length).toBeGreaterThan(0);
    const show = program.commands.find((c) => c.name() === 'show')!;
    expect(show.options).toEqual([]);
    // Should commander ever pick a placeholder, runCli loads every command and parses again.
    await expect(program.parseAsync(['show', 'a.tar', '-o', 'json'], { from: 'user' })).rejects.toThrow(
      PlaceholderRan,
    );
  });

  it('kcr --help lists every command, in the order of the table, with its description', async () => {
    const r = await runCliCaptured(['--help']);
    expect(r.code).toBe(0);
    const listed = [...r.stdout.matchAll(/^ {2}([a-z]+)(?:\|[a-z]+)?(?: .*)?$/gm)].map((m) => m[1]);
    expect(listed).toEqual([...COMMANDS.map((e) => e.names[0]), 'help']);
    expect(r.stdout).toMatch(/secrets \[options\] <archive> +find secrets an attacker/);
  });

  it('a mistyped command is suggested from the names alone', async () => {
    const r = await runCliCaptured(['sceret']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "error: unknown command 'sceret'\nhint: did you mean secrets? run 'kcr --help' for usage\n",
    );
  });

  it('help NAME shows that command in full', async () => {
    const r = await runCliCaptured(['help', 'mem']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/search \[options\] <archive> +search the dumped memory/);
  });
});

/** Runs kcr's CLI (the built dist/cli) in a fresh process; the modules it loaded, as file URLs. */
function loadedBy(argv: string[]): { code: number | null; modules: string[] } {
  const hooks = `import { writeSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  writeSync(2, 'loaded ' + result.url + '\\n');
  return result;
}`;
  const script = [
    "import { createRequire, register } from 'node:module';",
    `register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}));`,
    "const { runCli } = await import('./dist/cli/main.js');",
    'const sink = { write: () => true };',
    `process.exitCode = await runCli(${JSON.stringify(argv)}, { stdout: sink, stderr: sink, stdin: process.stdin, env: process.env, cwd: process.cwd() });`,
    "for (const path of Object.keys(createRequire(process.cwd() + '/').cache)) process.stderr.write('loaded ' + path + '\\n');",
  ].join('\n');
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  const modules = run.stderr
    .split('\n')
    .filter((l) => l.startsWith('loaded '))
    .map((l) => l.slice('loaded '.length));
  return { code: run.status, modules };
}

const commandModules = (modules: string[]) =>
  [...new Set(modules.map((m) => /\/dist\/cli\/commands\/([^/]+)\.js$/.exec(m)?.[1]).filter(Boolean))].sort();
const packages = (modules: string[]) =>
  [
    ...new Set(modules.map((m) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(m)?.[1]).filter(Boolean)),
  ].sort();

describe('start-up loads only the command that runs', () => {
  beforeAll(() => {
    builtBin('kcr'); // builds dist/ when a test runs before `npm run build`
  });

  it('kcr mem search loads the mem commands and no Kubernetes, registry or progress-bar code', () => {
    const { code, modules } = loadedBy(['mem', 'search', NGINX, '-s', 'nginx', '-c']);
    expect(code).toBe(0);
    expect(commandModules(modules)).toEqual(['index', 'mem', 'mem-dump', 'mem-maps', 'mem-search']);
    expect(packages(modules)).toEqual(['@bufbuild/protobuf', 'commander', 'fzstd']);
    // node:crypto takes milliseconds to load; a search has no use for it (nor has `kcr version`).
    expect(modules).not.toContain('node:crypto');
  });

  it('kcr version loads the version command alone', () => {
    const { code, modules } = loadedBy(['version']);
    expect(code).toBe(0);
    expect(commandModules(modules)).toEqual(['index', 'version']);
    expect(packages(modules)).toEqual(['commander']);
  });
});

/** The Node built-in modules the installed kcr (bin/kcr.js, the bundle) loaded for one command line. */
function builtinsLoadedBy(argv: string[]): { code: number | null; builtins: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'kcr-builtins-'));
  try {
    // process.moduleLoadList names every built-in module loaded so far, whoever required it.
    const preload = join(dir, 'report.cjs');
    writeFileSync(
      preload,
      "process.on('exit', () => process.stderr.write('BUILTINS ' + process.moduleLoadList" +
        ".filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)).join(',') + '\\n'));\n",
    );
    const run = spawnSync(process.execPath, ['-r', preload, builtBin('kcr'), ...argv], { encoding: 'utf8' });
    const line = run.stderr.split('\n').find((l) => l.startsWith('BUILTINS ')) ?? '';
    return { code: run.status, builtins: line.slice('BUILTINS '.length).split(',') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the installed kcr starts without the built-ins it does not use', () => {
  // child_process (with net and dgram under it), crypto, zlib and worker_threads cost every start
  // milliseconds each; commander requires child_process for executable subcommands, which kcr has
  // none of; zlib is for compressed archives, worker_threads for scans large enough to split.
  it.each([
    ['kcr version', ['version']],
    ['kcr mem search', ['mem', 'search', NGINX, '-s', 'nginx', '-c']],
  ])('%s loads none of child_process, crypto, zlib and worker_threads', (_name, argv) => {
    const { code, builtins } = builtinsLoadedBy(argv);
    expect(code).toBe(0);
    expect(builtins).toContain('fs'); // the report itself works
    const costly = ['child_process', 'dgram', 'crypto', 'zlib', 'worker_threads'];
    expect(builtins.filter((b) => costly.includes(b))).toEqual([]);
  });
});

describe('standard input', () => {
  it('is not touched by a command that does not read it (Node builds process.stdin on first use)', async () => {
    const chunks: string[] = [];
    const sink = { write: (s: string) => chunks.push(s) > 0 };
    const io = {
      stdout: sink,
      stderr: sink,
      get stdin(): never {
        throw new Error('stdin was read');
      },
      env: process.env,
      cwd: process.cwd(),
    };
    expect(await runCli(['version', '-o', 'json'], io)).toBe(0);
    expect(JSON.parse(chunks.join(''))).toHaveProperty('version');
  });
});
