import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/archive-builder.js';
import { makeTempDir, tempDirOwner, tempRoot } from './temp-dir.js';

const tmp = tempDir('kcr-temp-dir-test-');
afterAll(() => tmp.cleanup());

const MODULE = fileURLToPath(new URL('./temp-dir.ts', import.meta.url));

/**
 * A separate Node process that makes a temp directory under `root`, prints its path, then runs
 * `then` (source text), and is sent `signal` once the directory exists; tsx loads the TypeScript
 * module as it is.
 */
async function child(
  root: string,
  then: string,
  signal?: NodeJS.Signals,
): Promise<{ dir: string; code: number | null; signal: string | null }> {
  const script = `
    import { makeTempDir } from ${JSON.stringify(MODULE)};
    const t = await makeTempDir('child', { env: { KCR_TMPDIR: ${JSON.stringify(root)} } });
    process.stdout.write(t.dir + '\\n');
    ${then}
  `;
  const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const printed = new Promise<string>((resolve) =>
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.trim());
    }),
  );
  const exited = once(proc, 'exit') as Promise<[number | null, string | null]>;
  try {
    const dir = await Promise.race([printed, exited.then(() => out.trim())]);
    // A process that keeps running still has its directory; what happens at its end is what the test checks.
    if (signal) {
      expect(existsSync(dir)).toBe(true);
      proc.kill(signal);
    }
    const [code, killedBy] = await exited;
    return { dir, code, signal: killedBy };
  } finally {
    // Never left behind, whatever failed above.
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  }
}

describe('temp directories', () => {
  it('are private, named kcr-<purpose>-<pid>-…, made under KCR_TMPDIR, and removed by remove()', async () => {
    const root = tmp.path('root');
    mkdirSync(root);
    const t = await makeTempDir('unit-test', { env: { KCR_TMPDIR: root } });
    expect(t.dir.startsWith(`${root}/`)).toBe(true);
    expect(statSync(t.dir).mode & 0o777).toBe(0o700);
    const name = readdirSync(root)[0]!;
    expect(name).toMatch(new RegExp(`^kcr-unit-test-${process.pid}-`));
    expect(tempDirOwner(name)).toEqual({ purpose: 'unit-test', pid: process.pid });
    writeFileSync(`${t.dir}/archive.tar`, 'data');
    await t.remove();
    await t.remove();
    expect(readdirSync(root)).toEqual([]);
  });

  it('tells its own names from others', () => {
    expect(tempDirOwner('kcr-image-4242-Ab12Cd')).toEqual({ purpose: 'image', pid: 4242 });
    expect(tempDirOwner('kcr-image-Ab12Cd')).toBeUndefined();
    expect(tempDirOwner('systemd-private-1234-abcdef')).toBeUndefined();
  });

  it('read KCR_TMPDIR from the environment they are given, else the system temp directory', () => {
    expect(tempRoot({ KCR_TMPDIR: '/var/tmp/kcr' })).toBe('/var/tmp/kcr');
    expect(tempRoot({})).toMatch(/^\//);
  });

  it('say which directory cannot take them', async () => {
    await expect(makeTempDir('x', { env: { KCR_TMPDIR: tmp.path('missing') } })).rejects.toMatchObject({
      code: 'not-found',
      hint: expect.stringContaining('KCR_TMPDIR'),
    });
  });

  it('are removed when the process exits, dies of SIGTERM, or handles SIGINT itself and exits', async () => {
    const root = tmp.path('children');
    mkdirSync(root);
    const running = 'setInterval(() => {}, 1000);';
    const [exited, killed, handled] = await Promise.all([
      child(root, ''),
      child(root, running, 'SIGTERM'),
      child(root, `process.on('SIGINT', () => process.exit(130)); ${running}`, 'SIGINT'),
    ]);
    expect(exited).toMatchObject({ code: 0 });
    // Without a handler of its own the process still dies of the signal, as Node's default would.
    expect(killed).toMatchObject({ signal: 'SIGTERM' });
    expect(handled).toMatchObject({ code: 130 });
    for (const { dir } of [exited, killed, handled]) {
      expect(dir).toMatch(/\/kcr-child-\d+-/);
      expect(existsSync(dir)).toBe(false);
    }
    expect(readdirSync(root)).toEqual([]);
  });
});
