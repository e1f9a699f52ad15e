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
import { startTestCluster, type TestCluster } from '../../src/testing/kube/test-cluster.js';
import { runInTerminal, type TerminalRun } from '../../src/testing/terminal.js';

const COLUMNS = 80;
const WEB = fixture('crio', 'checkpoint-webserver_default-webserver-2026-11-28T16:01:40Z.tar');
const CTHREADS = fixture('crio', 'checkpoint-cthreads_apps-server-2026-11-28T16:04:20Z.tar');
const WEB_2 = fixture('crio', 'checkpoint-webserver_default-webserver-2026-11-28T16:03:10Z.tar');
const TOOLBOX = fixture('crio-real', 'checkpoint-toolbox_forensics-toolbox-2026-12-02T00:49:14Z.tar');
const CONTAINERD = fixture(
  'containerd-real',
  'checkpoint-counter-pod_default-counter-2026-12-02T01:04:00Z.tar',
);

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

  it('diff names both archives and what changed within the width', async () => {
    const run = await inTerminal('diff', WEB, WEB_2);
    expect(run.exitCode, run.joined.join('\n')).toBe(0);
    // The warning that the container was re-created is a message, wrapped by the terminal.
    expectFits({ ...run, joined: run.joined.filter((l) => !l.startsWith('warning: ')) });
    expect(run.joined).toContain(
      '   default/webserver/webserver, checkpointed 2026-11-28T16:03:10.000000000Z',
    );
    expect(run.joined.join('\n')).toContain('~ /var/log/nginx/access.log (594 B -> 2.66 KiB)');
  });

  it('image ls keeps what tells local images apart (the end of the reference) within the width', async () => {
    const ref = 'localhost/ckpt/web-with-a-rather-long-repository-name:v1';
    expect((await inTerminal('image', 'build', WEB, '-t', ref)).exitCode).toBe(0);
    const run = await inTerminal('image', 'ls');
    expect(run.exitCode, run.joined.join('\n')).toBe(0);
    expectFits(run);
    expect(run.joined.join('\n')).toMatch(
      /^localhost\/\S*…\S*pository-name:v1 +[0-9a-f]{12} +2026-11-28 16:01Z /m,
    );
  });

  it('image pull prints its result in lines that fit, the image digest whole', async () => {
    const ref = `${registry.host}/tty/pull:v1`;
    expect((await inTerminal('image', 'build', TOOLBOX, '-t', ref, '--push', '--insecure')).exitCode).toBe(0);
    const run = await runInTerminal(['node', kcr, 'image', 'pull', ref, 'pulled.tar', '--insecure'], {
      columns: COLUMNS,
      env,
      cwd: work,
    });
    expect(run.exitCode, run.joined.join('\n')).toBe(0);
    expectFits(run);
    expect(run.joined).toContain(`digest  ${await registryDigest('tty/pull', 'v1')}`);
    expect(run.joined.find((l) => l.startsWith('archive sha256:'))).toHaveLength(
      'archive sha256:'.length + 64,
    );
  });

  it.each([
    ['show', [WEB, CTHREADS]],
    ['inspect --sockets', [CTHREADS, '--sockets']],
    ['inspect --mounts', [WEB, '--mounts']],
    ['image --help', ['--help']],
    // The real CRI-O and containerd archives have longer pod names and images than the others.
    ['show', [WEB, CTHREADS, TOOLBOX, CONTAINERD]],
    ['list', [fixture('crio-real'), fixture('containerd-real')]],
    ['mem search', [TOOLBOX, '-s', 'KCRTOOLBOX']],
    ['mem search -C', [TOOLBOX, '-s', 'KCRTOOLBOX', '-C', '16']],
    ['secrets', [TOOLBOX]],
    ['checkpoint --help', ['--help']],
    // Tree rows too long for the width wrap under themselves (metadata, pipe peers, command lines).
    [
      'inspect --metadata --files --ps-tree --cmdline --env',
      [TOOLBOX, '--metadata', '--files', '--ps-tree', '--cmdline', '--env'],
    ],
  ])('%s fits the width', async (name, args) => {
    const run = await inTerminal(...name.split(' ').filter((w) => !w.startsWith('-')), ...args);
    expect(run.exitCode, run.joined.join('\n')).toBe(name === 'secrets' ? 3 : 0);
    expect(run.joined.length).toBeGreaterThan(2);
    expectFits(run);
  });
});

describe('on an 80-column terminal, against the test cluster', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: ['node-1'] });
    cluster.state.addPod({
      name: 'web-7d9f8c6b5-x2x8k',
      node: 'node-1',
      containers: [{ name: 'webserver' }, { name: 'sidecar-logger-long-name' }],
    });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  const withCluster = (...args: string[]) =>
    runInTerminal(['node', kcr, ...args, '--kubeconfig', cluster.kubeconfig], {
      columns: COLUMNS,
      env,
      cwd: work,
    });

  it('checkpoint prints each archive path whole, and no row of its status line stays behind', async () => {
    const run = await withCluster('checkpoint', 'web-7d9f8c6b5-x2x8k', '--all-containers');
    expect(run.exitCode, run.joined.join('\n')).toBe(0);
    // The status line was cut to the width: nothing of it is left on the screen.
    expect(run.joined.join('\n')).not.toMatch(/checkpointing|waiting for/);
    for (const container of ['webserver', 'sidecar-logger-long-name']) {
      const archive = run.joined.find(
        (l) => l.startsWith('ARCHIVE ') && l.includes(`_default-${container}-`),
      );
      expect(archive, run.joined.join('\n')).toMatch(
        new RegExp(
          `^ARCHIVE +/var/lib/kubelet/checkpoints/checkpoint-web-7d9f8c6b5-x2x8k_default-${container}-\\S+Z\\.tar$`,
        ),
      );
    }
  });

  it('backup POD prints the rows it stored below its finished bars, within the width', async () => {
    const run = await withCluster('backup', 'web-7d9f8c6b5-x2x8k', '--all-containers');
    expect(run.exitCode, run.joined.join('\n')).toBe(0);
    expectFits(run);
    const header = run.joined.findIndex((l) => l.startsWith('ID '));
    expect(header, run.joined.join('\n')).toBeGreaterThanOrEqual(0);
    const rows = run.joined.slice(header + 1);
    expect(rows, run.joined.join('\n')).toHaveLength(2);
    for (const row of rows) expect(row).toMatch(/^\d{8}t\d{6}z-[0-9a-f]{8} +default +web-/);
    // Bars end at 100% above the table; the status line is gone.
    for (const bar of run.joined.slice(0, header)) expect(bar).toMatch(/ 100% .*done$/);
    expect(run.joined.join('\n')).not.toMatch(/checkpointing|waiting for/);
  });

  it('doctor wraps its findings within their column', async () => {
    const run = await withCluster('doctor');
    expect(run.exitCode, run.joined.join('\n')).toBe(0);
    expectFits(run);
    expect(run.joined.join(' ').replace(/\s+/g, ' ')).toContain(
      'Kubernetes v1.31.4: checkpointing is beta and on by default',
    );
    expect(run.joined.at(-1)).toBe('ready: this cluster can checkpoint and restore');
  });
});
