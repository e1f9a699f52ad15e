/**
 * `kcr diff` on real pairs of checkpoints: the two nginx checkpoints (Podman and CRI-O layouts)
 * differ by the file added, the file changed and the file deleted between them, which the
 * fixtures' facts record; the busybox pair by the short-lived `sleep` child that was replaced.
 */
import { describe, expect, it } from 'vitest';
import { fixture, loadFacts } from '../../testing/fixtures.js';
import { runCliCaptured } from '../../testing/run-cli.js';
import { withCheckpoint } from '../checkpoint.js';
import { diffCheckpoints, type CheckpointDiff, type DiffOptions } from './diff.js';

async function diff(a: string, b: string, options: DiffOptions = {}): Promise<CheckpointDiff> {
  return withCheckpoint(fixture(a), (ca) =>
    withCheckpoint(fixture(b), (cb) => diffCheckpoints(ca, cb, options)),
  );
}

const NGINX_PAIRS = [
  ['podman/nginx-webserver-1.tar', 'podman/nginx-webserver-2.tar'],
  [
    'crio/checkpoint-webserver_default-webserver-2026-11-28T16:01:40Z.tar',
    'crio/checkpoint-webserver_default-webserver-2026-11-28T16:03:10Z.tar',
  ],
];

describe.each(NGINX_PAIRS)('diff %s -> %s', (a, b) => {
  const [fa, fb] = [loadFacts('nginx-webserver-1.facts.json'), loadFacts('nginx-webserver-2.facts.json')];
  const size = (facts: typeof fa, name: string) =>
    facts.rootfs_diff.members.find((m) => m.name === name)!.size;

  it('shows extra.html added, access.log changed and index.html.bak deleted, as the facts record', async () => {
    const d = await diff(a, b);
    expect(d.rootfs.added.map((e) => [e.path, e.size])).toEqual([
      ['/usr/share/nginx/html/extra.html', size(fb, 'usr/share/nginx/html/extra.html')],
    ]);
    expect(d.rootfs.changed.map((c) => [c.path, c.a.size, c.b.size])).toEqual([
      [
        '/var/log/nginx/access.log',
        size(fa, 'var/log/nginx/access.log'),
        size(fb, 'var/log/nginx/access.log'),
      ],
    ]);
    expect(d.rootfs.deleted).toEqual(fb.deleted_files.parsed);
    expect(d.rootfs.reverted).toEqual([]);
    expect(d.rootfs.unchanged).toBeUndefined();
  });

  it('lists the unchanged nginx.pid only when asked', async () => {
    const d = await diff(a, b, { showUnchanged: true });
    expect(d.rootfs.unchanged!.map((e) => e.path)).toEqual(['/run/nginx.pid']);
    expect(d.rootfs.unchanged![0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(d.processes.unchanged!.map((p) => p.pid)).toEqual([1, 6, 7]);
  });

  it('keeps the same three processes, and sees every access.log position move on', async () => {
    const d = await diff(a, b);
    expect(d.processes.appeared).toEqual([]);
    expect(d.processes.gone).toEqual([]);
    expect(d.files.opened).toEqual([]);
    expect(d.files.closed).toEqual([]);
    const wantPos = (facts: typeof fa, pid: number) =>
      facts.processes.list.find((p) => p.pid === pid)!.fds['3']!.pos;
    expect(d.files.changed.map((f) => [f.pid, f.fd, f.path, f.pos])).toEqual(
      [1, 6, 7].map((pid) => [
        pid,
        3,
        '/var/log/nginx/access.log',
        { a: wantPos(fa, pid), b: wantPos(fb, pid) },
      ]),
    );
    expect(d.memory.map((m) => [m.pid, m.a! / 4096, m.b! / 4096])).toEqual(
      fa.processes.list.map((p) => [
        p.pid,
        p.dumped_pages,
        fb.processes.list.find((q) => q.pid === p.pid)!.dumped_pages,
      ]),
    );
    expect(d.stats.a?.pagesWritten).toBe(fa.criu_dump_stats.dump.pages_written);
    expect(d.stats.b?.pagesWritten).toBe(fb.criu_dump_stats.dump.pages_written);
    if (a.startsWith('podman/')) expect(d.warnings).toEqual([]);
    else
      expect(d.warnings).toEqual([expect.stringMatching(/container IDs differ .* restarted or re-created/)]);
  });
});

describe('diff of the busybox counter checkpoints', () => {
  it('shows the sleep child that went away and the one that appeared, and the counter file changed', async () => {
    const d = await diff('podman/busybox-counter.tar', 'podman/busybox-counter.tar.zst');
    expect(d.processes.gone.map((p) => [p.pid, p.comm, p.cmdline])).toEqual([
      [36, 'sleep', ['sleep', '0.2']],
    ]);
    expect(d.processes.appeared.map((p) => [p.pid, p.comm])).toEqual([[60, 'sleep']]);
    expect(d.rootfs.changed.map((c) => c.path)).toEqual(['/data/count']);
    expect(d.rootfs.changed[0]!.a.sha256).not.toBe(d.rootfs.changed[0]!.b.sha256);
    const sleep = d.memory.find((m) => m.pid === 36)!;
    expect(sleep.a).toBe(loadFacts('busybox-counter.facts.json').processes.list[1]!.dumped_pages * 4096);
    expect(sleep.b).toBeUndefined();
    expect(sleep.delta).toBe(-sleep.a!);
  });
});

describe('diff of different containers', () => {
  const a = fixture('podman/nginx-webserver-1.tar');
  const b = fixture('podman/busybox-counter.tar');

  it('stops with one error line and a hint, exit 2', async () => {
    const r = await runCliCaptured(['diff', a, b]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^error: .*nginx-webserver-1\.tar and .*busybox-counter\.tar are checkpoints of different containers: webserver \(\w+\) and counter \(\w+\)$/,
      ),
      'hint: compare two checkpoints of one container, or pass --force',
    ]);
  });

  it('goes on with --force, warning on stderr', async () => {
    const r = await runCliCaptured(['diff', a, b, '--force', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: .*different containers/);
    const d = JSON.parse(r.stdout) as CheckpointDiff;
    expect(d.kind).toBe('CheckpointDiff');
    // PID 1 is in both, as a different program: a changed process, not one that went away.
    expect(d.processes.gone.map((p) => p.pid)).toEqual([6, 7]);
    expect(d.processes.changed.map((p) => [p.pid, p.previousComm, p.comm])).toEqual([[1, 'nginx', 'sh']]);
  });
});
