/**
 * The archive a real containerd 2.3.4 wrote, through every view a user has: its gzip-compressed
 * rootfs-diff.tar, CRI-format container.log, nanosecond status and CRI status.dump as they are.
 * The process, fd, memory and rootfs facts are checked for every fixture in src/forensics; this
 * file checks what is containerd's own.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointArchive } from '../../src/archive/archive.js';
import { NestedTar } from '../../src/archive/nested-tar.js';
import { buildTar, rewriteArchive, tempDir } from '../../src/testing/archive-builder.js';
import { CONTAINERD_REAL_ARCHIVE, fixture, loadFacts } from '../../src/testing/fixtures.js';
import { runCliCaptured } from '../../src/testing/run-cli.js';

const ARCHIVE = fixture(CONTAINERD_REAL_ARCHIVE);
const facts = loadFacts(`${CONTAINERD_REAL_ARCHIVE}.facts.json`);
const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** The real archive, its gzip rootfs-diff.tar replaced by one that holds a file with a token in it. */
let withFile: string;
const TOKEN = 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';
beforeAll(async () => {
  const inner = await buildTar([
    { name: 'etc/hosts', data: Buffer.alloc(0) },
    { name: 'data/app.env', data: Buffer.from(`GITHUB_TOKEN=${TOKEN}\ncount=10\n`) },
  ]);
  withFile = await rewriteArchive(ARCHIVE, tmp.path('with-file.tar'), {
    replace: { 'rootfs-diff.tar': gzipSync(inner) },
  });
});

describe('a real containerd 2.3 archive', () => {
  it('shows in kcr show with containerd, its shim runtime and the checkpoint time of config.dump', async () => {
    const r = await runCliCaptured(['show', ARCHIVE, '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const meta = facts.engine_metadata!;
    // One object per archive, always as an array.
    expect((JSON.parse(r.stdout) as unknown[])[0]).toMatchObject({
      engine: 'containerd',
      container: meta.container,
      pod: meta.pod,
      namespace: meta.namespace,
      image: meta.image,
      imageId: meta.image_id,
      imageRef: meta.image_ref,
      runtime: 'io.containerd.runc.v2',
      ociRuntime: 'runc',
      checkpointedAt: meta.checkpointed,
    });
  });

  it('builds every inspect view with --all, each holding the facts', async () => {
    const r = await runCliCaptured(['inspect', ARCHIVE, '--all', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      checkpoint: { restorableBy: string[] };
      errors?: unknown[];
      metadata: { statusDump: Record<string, unknown>; status: Record<string, unknown> };
      processes: { pid: number; comm: string; cmdline: string[] }[];
      files: { pid: number }[];
      mounts: unknown;
      rootfs: { changed: { path: string; type: string }[]; deleted: string[] };
      stats: unknown;
      log: { lines: unknown[] };
    };
    expect(doc.errors).toBeUndefined();
    expect(doc.checkpoint.restorableBy).toEqual(['containerd']);
    expect(doc.processes.map((p) => [p.pid, p.comm, p.cmdline])).toEqual(
      facts.processes.list.map((p) => [p.pid, p.comm, p.cmdline]),
    );
    expect(doc.files.map((f) => f.pid)).toEqual(facts.processes.list.map((p) => p.pid));
    expect(doc.rootfs.changed.map((c) => [c.path, c.type])).toEqual(
      facts.rootfs_diff.members.filter((m) => m.type !== 'dir').map((m) => ['/' + m.name, m.type]),
    );
    expect(doc.log.lines).toHaveLength(facts.container_log!.lines);
    expect(doc.stats).toBeDefined();
    expect(doc.mounts).toBeDefined();
  });

  it("shows status.dump and containerd's status in the metadata view, nanosecond times exact", async () => {
    const meta = facts.engine_metadata!;
    // JSON.parse rounds 19-digit integers, so the facts' digits are read from their text.
    const factsText = readFileSync(fixture(`${CONTAINERD_REAL_ARCHIVE}.facts.json`), 'utf8');
    const digits = (key: string) => new RegExp(`"${key}": (\\d+)`).exec(factsText)![1]!;
    const iso = (ns: string) =>
      `${new Date(Number(BigInt(ns) / 1_000_000_000n) * 1000).toISOString().slice(0, 19)}.${ns.slice(-9)}Z`;
    expect(iso(digits('CreatedAt'))).toBe('2026-12-02T01:03:53.335596349Z');

    const r = await runCliCaptured(['inspect', ARCHIVE, '--metadata', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const m = (
      JSON.parse(r.stdout) as {
        metadata: { statusDump: Record<string, unknown>; status: Record<string, unknown> };
      }
    ).metadata;
    expect(m.statusDump).toMatchObject({
      id: meta.container_id,
      'metadata.name': meta.container,
      'image.image': meta.image,
      image_id: meta.image_id,
      image_ref: meta.image_ref,
      created_at: iso(digits('CreatedAt')),
      started_at: iso(digits('StartedAt')),
    });
    expect(m.status).toMatchObject({
      CreatedAt: iso(digits('CreatedAt')),
      StartedAt: iso(digits('StartedAt')),
      FinishedAt: 0,
    });
    expect(m.status).not.toHaveProperty('Name');

    const text = await runCliCaptured(['inspect', ARCHIVE, '--metadata']);
    expect(text.stdout).toContain('Restores on:   containerd 2.0 to 2.3 (kcr setup containerd); not CRI-O');
    expect(text.stdout).toContain(
      'Engine:        containerd (runtime io.containerd.runc.v2, OCI runtime runc)',
    );
    expect(text.stdout).toMatch(/├── status\.dump\n(│ {3}[├└]── .*\n)*│ {3}├── image_id: sha256:38e3f3e4/);
  });

  it('shows the container log lines without the CRI prefixes, the counter last', async () => {
    const r = await runCliCaptured(['inspect', ARCHIVE, '--log']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => /^\s+2026-12-02T/.test(l));
    expect(lines).toHaveLength(facts.container_log!.lines);
    expect(lines.at(-1)).toBe(`  2026-12-02T01:04:02.449615759Z ${facts.container_log!.last_text}`);
    expect(r.stdout).not.toMatch(/stdout F/);

    const json = await runCliCaptured(['inspect', ARCHIVE, '--log', '-o', 'json']);
    const log = (
      JSON.parse(json.stdout) as { log: { member: string; lines: { stream: string; text: string }[] } }
    ).log;
    expect(log.member).toBe(facts.engine_metadata!.log_member);
    expect(log.lines.map((l) => l.text)).toEqual(
      Array.from({ length: facts.container_log!.counter_at_checkpoint }, (_, i) => String(i + 1)),
    );
    expect(new Set(log.lines.map((l) => l.stream))).toEqual(new Set(['stdout']));
  });

  it('reads the gzip-compressed rootfs-diff.tar and removes its decompressed copy on close', async () => {
    expect(facts.engine_metadata!.rootfs_diff_compression).toBe('gzip');
    const tmpRoot = tmp.path('tmproot');
    mkdirSync(tmpRoot);
    process.env.KCR_TMPDIR = tmpRoot;
    try {
      const archive = await CheckpointArchive.open(ARCHIVE);
      const tar = await NestedTar.open(archive, 'rootfs-diff.tar');
      expect(tar.compression).toBe('gzip');
      expect(tar.members.map((m) => m.name)).toEqual(
        facts.rootfs_diff.members.map((m) => m.name.replace(/\/$/, '')),
      );
      expect(readdirSync(tmpRoot)).toHaveLength(1);
      await tar.close();
      await archive.close();
      expect(readdirSync(tmpRoot)).toEqual([]);
    } finally {
      delete process.env.KCR_TMPDIR;
    }
  });

  it('extracts a file out of a gzip rootfs-diff.tar, to stdout and to a file', async () => {
    const r = await runCliCaptured(['rootfs', 'extract', withFile, '/data/app.env']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`GITHUB_TOKEN=${TOKEN}\ncount=10\n`);
    const empty = await runCliCaptured(['rootfs', 'extract', ARCHIVE, '/etc/hosts']);
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toBe('');
    const out = tmp.path('app.env');
    const f = await runCliCaptured(['rootfs', 'extract', withFile, '/data/app.env', '--output-file', out]);
    expect(f.code, f.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('count=10');
  });

  it('finds a secret in a file of a gzip rootfs-diff.tar, with its line', async () => {
    const r = await runCliCaptured(['secrets', withFile, '-o', 'json']);
    expect(r.code).toBe(3);
    const findings = (
      JSON.parse(r.stdout) as { findings: { source: string; path?: string; line?: number }[] }
    ).findings;
    expect(findings.filter((f) => f.source === 'rootfs')).toEqual([
      expect.objectContaining({ path: '/data/app.env', line: 1 }),
    ]);
    const clean = await runCliCaptured(['secrets', ARCHIVE, '--memory']);
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
  });

  it('diffs two containerd checkpoints through their gzip rootfs-diffs', async () => {
    const r = await runCliCaptured(['diff', ARCHIVE, withFile, '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const diff = JSON.parse(r.stdout) as { rootfs: { added: { path: string }[]; reverted: string[] } };
    expect(diff.rootfs.added.map((f) => f.path)).toEqual(['/data/app.env']);
    expect(diff.rootfs.reverted).toEqual(['/etc/hostname', '/etc/resolv.conf']);
  });

  it('counts memory per process as the facts do', async () => {
    const r = await runCliCaptured(['mem', ARCHIVE, '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { pid: number; dumpedBytes: number }[];
    expect(rows.map((row) => [row.pid, row.dumpedBytes])).toEqual(
      facts.processes.list.map((p) => [p.pid, p.dumped_pages * 4096]),
    );
  });
});
