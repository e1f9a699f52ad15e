/**
 * kcr on a real terminal (tmux, 80 columns), against the real registry: results survive the
 * progress bars whole, and what kcr prints fits the width.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtBin } from '../../src/testing/built-cli.js';
import { fixture } from '../../src/testing/fixtures.js';
import { startRegistry, type TestRegistry } from '../../src/testing/registry.js';
import { runInTerminal, type TerminalRun } from '../../src/testing/terminal.js';

const COLUMNS = 80;
const WEB = fixture('crio', 'checkpoint-webserver_default-webserver-2026-11-28T16:01:40Z.tar');
const CTHREADS = fixture('crio', 'checkpoint-cthreads_apps-server-2026-11-28T16:04:20Z.tar');

let registry: TestRegistry;
let work: string;
let kcr: string;
let env: Record<string, string>;

beforeAll(async () => {
  kcr = builtBin('kcr');
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), 'kcr-terminal-test-'));
  env = { HOME: join(work, 'home'), KCR_IMAGE_STORE: join(work, 'store'), REGISTRY_AUTH_FILE: '' };
});

afterAll(async () => {
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

const inTerminal = (...args: string[]) => runInTerminal(['node', kcr, ...args], { columns: COLUMNS, env });

async function registryDigest(repository: string, tag: string): Promise<string> {
  const res = await fetch(`http://${registry.host}/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  return res.headers.get('docker-content-digest') ?? '';
}

function expectFits(run: TerminalRun): void {
  for (const line of run.joined) expect(line.length, line).toBeLessThanOrEqual(COLUMNS);
}

describe('on an 80-column terminal', () => {
  it.each([
    ['none', []],
    ['gzip', ['--compression', 'gzip']],
  ])(
    'image build --push (%s) prints its result whole, after the bars, with the registry digest',
    async (kind, extra) => {
      const ref = `${registry.host}/tty/web:${kind}`;
      const run = await inTerminal('image', 'build', WEB, '-t', ref, '--push', '--insecure', ...extra);
      expect(run.exitCode, run.joined.join('\n')).toBe(0);
      expectFits(run);
      const built = run.joined.findIndex((l) => l.startsWith(`built ${ref} for linux/`));
      expect(built, run.joined.join('\n')).toBeGreaterThanOrEqual(0);
      expect(run.joined.slice(built)).toContain(`pushed ${ref}`);
      const digest = run.joined.slice(built).find((l) => l.startsWith('digest '));
      expect(digest?.slice('digest '.length)).toBe(await registryDigest('tty/web', kind));
      // Nothing but results after the first result line: no bar drawn again, none left behind.
      for (const line of run.joined.slice(built)) expect(line).not.toMatch(/\[[= ]{5,}\]|pushing|hashing/);
    },
  );

  it.each([
    ['show', [WEB, CTHREADS]],
    ['inspect --sockets', [CTHREADS, '--sockets']],
    ['inspect --mounts', [WEB, '--mounts']],
    ['image --help', ['--help']],
  ])('%s fits the width', async (name, args) => {
    const run = await inTerminal(...name.split(' ').filter((w) => !w.startsWith('-')), ...args);
    expect(run.exitCode, run.joined.join('\n')).toBe(0);
    expect(run.joined.length).toBeGreaterThan(2);
    expectFits(run);
  });
});
