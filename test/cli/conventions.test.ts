/** What kubectl and podman users reach for: version, completion, kubectl spellings, grep's exit codes. */
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtBin, REPO_ROOT } from '../../src/testing/built-cli.js';
import { fixture } from '../../src/testing/fixtures.js';
import { runCliCaptured } from '../../src/testing/run-cli.js';

const CTHREADS = fixture('podman', 'cthreads-server.tar');
const BUSYBOX = fixture('podman', 'busybox-counter.tar');

describe('kcr version', () => {
  it('names the version, the commit the bundle was built from and Node; -o json for scripts', () => {
    const bin = builtBin('kcr');
    const text = execFileSync('node', [bin, 'version'], { encoding: 'utf8' });
    const head = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    }).trim();
    expect(text).toMatch(/^kcr \d+\.\d+\.\d+ \(commit [0-9a-f]{12}, node v\d+\.\d+\.\d+, linux\/\w+\)\n$/);
    const json = JSON.parse(
      execFileSync('node', [bin, 'version', '-o', 'json'], { encoding: 'utf8' }),
    ) as Record<string, string>;
    expect(json).toMatchObject({ version: expect.stringMatching(/^\d+\.\d+\.\d+$/), node: process.version });
    // The bundle is built from a commit of this checkout (npm test builds it first).
    expect(
      execFileSync('git', ['cat-file', '-t', json.commit!], { cwd: REPO_ROOT, encoding: 'utf8' }).trim(),
    ).toBe('commit');
    expect(head).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe('kcr completion', () => {
  /** Runs `shell args` with the script in a temp file named by $KCR_COMPLETION; its output lines. */
  function inShell(shell: string, script: string, args: string[]): string[] {
    const file = join(tmpdir(), `kcr-completion-${process.pid}.${shell}`);
    writeFileSync(file, script);
    try {
      const r = spawnSync(shell, args, {
        encoding: 'utf8',
        cwd: REPO_ROOT,
        env: { ...process.env, KCR_COMPLETION: file },
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      return r.stdout.split('\n').filter(Boolean);
    } finally {
      rmSync(file, { force: true });
    }
  }

  /** Completes `words` (the last one being typed) with the bash script, in a real bash. */
  function complete(script: string, words: string[]): string[] {
    return inShell('bash', script, [
      '-c',
      'source "$KCR_COMPLETION"; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _kcr; printf "%s\\n" "${COMPREPLY[@]}"',
      'bash',
      ...words,
    ]);
  }

  it('bash completes commands, subcommands and flags of the command typed so far, in a real bash', async () => {
    const r = await runCliCaptured(['completion', 'bash']);
    expect(r.code).toBe(0);
    expect(complete(r.stdout, ['kcr', ''])).toEqual(
      expect.arrayContaining(['show', 'image', 'mem', 'version']),
    );
    expect(complete(r.stdout, ['kcr', 'im'])).toEqual(['image']);
    expect(complete(r.stdout, ['kcr', 'image', 'p'])).toEqual(['push', 'pull']);
    expect(complete(r.stdout, ['kcr', '-q', 'image', 'build', '--comp'])).toEqual(['--compression']);
    expect(complete(r.stdout, ['kcr', 'mem', 'search', ARCHIVE_DIR, '--max', '5', '-'])).toContain('--count');
    // Arguments complete as files.
    expect(complete(r.stdout, ['kcr', 'show', 'READ'])).toEqual(['README.md']);
  });

  /** Completes `words` with the zsh script as zsh runs it (bashcompinit's compgen -F, then its prefix match). */
  function completeZsh(script: string, words: string[]): string[] {
    return inShell('zsh', script, [
      '-f',
      '-c',
      // What _bash_complete sets up before it calls compgen; zsh itself then keeps the matches
      // that start with the word typed (compgen leaves that to it).
      'source "$KCR_COMPLETION"; [[ ${_comps[kcr]} == "_bash_complete -o filenames -F _kcr" ]] || exit 9; ' +
        'local -a words=("$@") COMP_WORDS=("$@") m; local CURRENT=$# COMP_CWORD=$(($# - 1)) PREFIX=${@[-1]}; ' +
        'm=(${(f)"$(compgen -o filenames -F _kcr -- $PREFIX)"}); print -l -- ${(M)m:#$PREFIX*}',
      'zsh',
      ...words,
    ]);
  }

  /** Completes the command line `line` with the fish script, in a real fish (`complete -C`). */
  function completeFish(script: string, line: string): string[] {
    return inShell('fish', script, [
      '--no-config',
      '-c',
      'source $KCR_COMPLETION; complete -C $argv[1]',
      line,
    ]).map((l) => l.split('\t')[0]!);
  }

  it('zsh completes commands, subcommands, flags and files, in a real zsh', async () => {
    const r = await runCliCaptured(['completion', 'zsh']);
    expect(r.code).toBe(0);
    expect(completeZsh(r.stdout, ['kcr', ''])).toEqual(expect.arrayContaining(['show', 'image', 'version']));
    expect(completeZsh(r.stdout, ['kcr', 'im'])).toEqual(['image']);
    expect(completeZsh(r.stdout, ['kcr', 'image', 'p']).sort()).toEqual(['pull', 'push']);
    expect(completeZsh(r.stdout, ['kcr', '-q', 'image', 'build', '--comp'])).toEqual(['--compression']);
    expect(completeZsh(r.stdout, ['kcr', 'mem', 'search', ARCHIVE_DIR, '--max', '5', '--co']).sort()).toEqual(
      ['--context', '--count'],
    );
    expect(completeZsh(r.stdout, ['kcr', 'show', 'READ'])).toEqual(['README.md']);
  });

  it('fish completes commands, subcommands, flags and files, in a real fish', async () => {
    const r = await runCliCaptured(['completion', 'fish']);
    expect(r.code).toBe(0);
    expect(completeFish(r.stdout, 'kcr ')).toEqual(expect.arrayContaining(['show', 'image', 'version']));
    expect(completeFish(r.stdout, 'kcr im')).toEqual(['image']);
    expect(completeFish(r.stdout, 'kcr image p').sort()).toEqual(['pull', 'push']);
    expect(completeFish(r.stdout, 'kcr -q image build --comp')).toEqual(['--compression']);
    // An argument and a flag value typed before do not lose the command's flags.
    expect(completeFish(r.stdout, `kcr mem search ${ARCHIVE_DIR} --max 5 --co`).sort()).toEqual([
      '--context',
      '--count',
    ]);
    expect(completeFish(r.stdout, 'kcr show READ')).toEqual(['README.md']);
  });

  it('refuses a shell it does not know', async () => {
    const r = await runCliCaptured(['completion', 'tcsh']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*bash, zsh, fish/m);
  });
});

const ARCHIVE_DIR = 'test';

describe('kubectl spellings', () => {
  it('refuses --dry-run=server with one error and a hint, and takes --dry-run=none as no dry run', async () => {
    const r = await runCliCaptured(['restore', 'x.tar', '--dry-run=server']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error: --dry-run=server: kcr dry runs are client-side only\n' +
        'hint: use --dry-run (or --dry-run=client): kcr prints what it would create and creates nothing\n',
    );
  });
});

describe('kcr mem', () => {
  it('maps works without --pid when the checkpoint has one process', async () => {
    const r = await runCliCaptured(['mem', 'maps', CTHREADS]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^400000-401000 +r--p +00000000 +0\/1 +\/app\/cthreads$/m);
  });

  it('maps without --pid on several processes names them in the hint', async () => {
    const r = await runCliCaptured(['mem', 'maps', BUSYBOX]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: .*has 2 processes, say which with --pid\nhint: the processes: 1 \(sh\), 36 \(sleep\)/,
    );
  });

  it('dump works without --pid when the checkpoint has one process, as maps does', async () => {
    const range = ['--address', '0x7f6d590e7000', '--length', '64', '--hex'];
    const alone = await runCliCaptured(['mem', 'dump', CTHREADS, ...range]);
    expect(alone.code, alone.stderr).toBe(0);
    expect(alone.stdout).toMatch(/^7f6d590e7000 {2}7f 45 4c 46 /); // the ELF header of the [vdso]
    const named = await runCliCaptured(['mem', 'dump', CTHREADS, '--pid', '1', ...range]);
    expect(alone.stdout).toBe(named.stdout);
  });

  it('dump without --pid on several processes names them: one error, one hint', async () => {
    const r = await runCliCaptured(['mem', 'dump', BUSYBOX, '--output-file', 'never']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: .*has 2 processes, say which with --pid\nhint: the processes: 1 \(sh\), 36 \(sleep\)\n$/,
    );
  });

  it('search exits 1 when nothing matched and 0 when something did, as grep does', async () => {
    const none = await runCliCaptured(['mem', 'search', BUSYBOX, '-s', 'no-such-string-zz']);
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
    const some = await runCliCaptured(['mem', 'search', BUSYBOX, '-s', 'SECRET_TOKEN']);
    expect(some.code).toBe(0);
    expect(some.stdout).toContain('SECRET_TOKEN');
  });
});
