/** The foundation commands end to end, in-process, on the real fixtures. */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTar, rewriteArchive, tempDir } from '../../src/testing/archive-builder.js';
import { builtBin } from '../../src/testing/built-cli.js';
import { CONTAINERD_REAL_ARCHIVE, fixture } from '../../src/testing/fixtures.js';
import { runCliCaptured } from '../../src/testing/run-cli.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const CRIO = {
  web1: fixture('crio', 'checkpoint-webserver_default-webserver-2026-11-28T16:01:40Z.tar'),
  web2: fixture('crio', 'checkpoint-webserver_default-webserver-2026-11-28T16:03:10Z.tar'),
  cthreads: fixture('crio', 'checkpoint-cthreads_apps-server-2026-11-28T16:04:20Z.tar'),
};
const CONTAINERD = fixture(CONTAINERD_REAL_ARCHIVE);
const BUSYBOX = fixture('podman', 'busybox-counter.tar');

describe('kcr show', () => {
  it('prints one row per archive with container, pod, namespace, image, time and size', async () => {
    const r = await runCliCaptured(['show', CRIO.cthreads, CONTAINERD]);
    expect(r.code).toBe(0);
    const [header, ...rows] = r.stdout.trim().split('\n');
    expect(header).toMatch(/^CONTAINER\s+POD\s+NAMESPACE\s+IMAGE\s+CHECKPOINTED\s+SIZE$/);
    expect(rows[0]).toMatch(
      /^server\s+cthreads\s+apps\s+localhost\/cthreads:latest\s+2026-11-28 16:04Z\s+200 KiB$/,
    );
    expect(rows[1]).toMatch(
      /^counter\s+counter-pod\s+default\s+127\.0\.0\.1:5000\/bbcounter:latest\s+2026-12-02 01:04Z/,
    );
  });

  it('adds engine, runtime, full times, sizes and the archive with -o wide', async () => {
    const r = await runCliCaptured(['show', CRIO.cthreads, CONTAINERD, '-o', 'wide']);
    const [header, ...rows] = r.stdout.trim().split('\n');
    expect(header).toMatch(
      /^CONTAINER\s+POD\s+NAMESPACE\s+IMAGE\s+ENGINE\s+RUNTIME\s+RESTORES ON\s+CREATED\s+CHECKPOINTED\s+SIZE\s+MEMORY\s+ROOTFS DIFF\s+ARCHIVE$/,
    );
    expect(rows[0]).toMatch(
      /^server\s+cthreads\s+apps\s+localhost\/cthreads:latest\s+cri-o\s+runc\s+CRI-O\s+.*2026-11-28T16:04:20/,
    );
    expect(rows[1]).toMatch(
      /^counter\s+counter-pod\s+default\s+127\.0\.0\.1:5000\/bbcounter:latest\s+containerd\s+io\.containerd\.runc\.v2\s+containerd\s+.*2026-12-02T01:04:02/,
    );
  });

  it('gives scripts the sizes in bytes with -o json, always as an array', async () => {
    const r = await runCliCaptured(['show', CRIO.cthreads, '-o', 'json']);
    const [s, ...rest] = JSON.parse(r.stdout);
    expect(rest).toEqual([]);
    expect(s).toMatchObject({
      container: 'server',
      pod: 'cthreads',
      namespace: 'apps',
      engine: 'cri-o',
      compression: 'none',
    });
    expect(s.sizes).toEqual({ total: statSync(CRIO.cthreads).size, memoryPages: 118784, rootfsDiff: 2048 });
  });
});

describe('kcr inspect', () => {
  it('shows the process tree by default, as checkpointctl does', async () => {
    const r = await runCliCaptured(['inspect', CRIO.web1]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Container:     webserver (pod webserver, namespace default)');
    expect(r.stdout).toMatch(/└── \[1\] nginx {2}\(alive, uid 0\)\n {4}├── \[6\] nginx/);
    expect(r.stdout).not.toContain('Open files');
  });

  it('has a stable JSON document with only the requested views', async () => {
    const r = await runCliCaptured(['inspect', CRIO.cthreads, '--sockets', '--stats', '-o', 'json']);
    const doc = JSON.parse(r.stdout);
    expect(doc.apiVersion).toBe('kcr.dev/v1');
    expect(doc.kind).toBe('CheckpointInspection');
    expect(Object.keys(doc).sort()).toEqual(['apiVersion', 'checkpoint', 'criu', 'kind', 'sockets', 'stats']);
    expect(doc.criu).toMatchObject({ imageVersion: 2, architecture: 'amd64' });
    expect(doc.sockets.find((s: { fd: number }) => s.fd === 8)).toMatchObject({
      protocol: 'tcp',
      state: 'ESTABLISHED',
      local: '10.88.0.28:9000',
      remote: '10.88.0.1:46074',
      tcpStreamDumped: true,
    });
  });

  it('accepts checkpointctl flags: --ps-tree-cmd, --ps-tree-env and --format', async () => {
    const cmd = JSON.parse(
      (await runCliCaptured(['inspect', BUSYBOX, '--ps-tree-cmd', '--format', 'json'])).stdout,
    );
    expect(cmd.processes[0].cmdline[0]).toBe('sh');
    expect(cmd.processes[0].env).toBeUndefined();
    const env = JSON.parse(
      (await runCliCaptured(['inspect', BUSYBOX, '--ps-tree-env', '--format', 'json'])).stdout,
    );
    expect(env.processes[0].env.map((e: { name: string }) => e.name)).toContain('SECRET_TOKEN');
    expect(env.processes[0].cmdline).toBeUndefined();
  });

  it('masks secret-looking environment values unless --show-secrets is given', async () => {
    const masked = await runCliCaptured(['inspect', BUSYBOX, '--env']);
    expect(masked.stdout).toContain('SECRET_TOKEN=********');
    expect(masked.stdout).not.toContain('s3cr3t-busybox-42');
    expect(masked.stdout).toContain('HOSTNAME=counter');
    const shown = await runCliCaptured(['inspect', BUSYBOX, '--env', '--show-secrets']);
    expect(shown.stdout).toContain('SECRET_TOKEN=s3cr3t-busybox-42');
  });

  it('limits per-process views to --pid', async () => {
    const doc = JSON.parse(
      (await runCliCaptured(['inspect', CRIO.web1, '--files', '--ps-tree', '--pid', '6', '-o', 'json']))
        .stdout,
    );
    expect(doc.processes.map((p: { pid: number }) => p.pid)).toEqual([6]);
    expect(doc.files.map((p: { pid: number }) => p.pid)).toEqual([6]);
  });

  it('keeps working when the archive holds CRIU images and members it does not know', async () => {
    const path = await rewriteArchive(CRIO.cthreads, tmp.path('future.tar'), {
      add: [
        {
          name: 'checkpoint/quantum-state-1.img',
          data: Buffer.from('19435654efbeadde0400000008011002', 'hex'),
        },
        { name: 'checkpoint/apparmor.img', data: Buffer.from('1943565447304259', 'hex') },
        { name: 'pod.options', data: Buffer.from('{}') },
      ],
    });
    const r = await runCliCaptured(['inspect', path, '--all', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).processes[0].comm).toBe('cthreads');
  });

  it('renders every view as YAML with --all -o yaml', async () => {
    const doc = parseYaml((await runCliCaptured(['inspect', CRIO.web2, '--all', '-o', 'yaml'])).stdout);
    expect(doc.rootfs.deleted).toEqual(['/usr/share/nginx/html/index.html.bak']);
    expect(doc.log.member).toBe('io.kubernetes.cri-o.LogPath');
    expect(doc.mounts.criu.find((m: { mountpoint: string }) => m.mountpoint === '/').fstype).toBe('overlay');
  });
});

describe('kcr list', () => {
  const dir = tmp.path('checkpoints');
  beforeAll(() => {
    mkdirSync(dir);
    for (const p of [CRIO.web1, CRIO.cthreads, CONTAINERD])
      copyFileSync(p, join(dir, p.slice(p.lastIndexOf('/') + 1)));
  });

  it('lists archives newest first with namespace, pod, container, engine and the checkpoint time', async () => {
    const r = await runCliCaptured(['list', dir]);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^NAMESPACE\s+POD\s+CONTAINER\s+ENGINE\s+CHECKPOINTED\s+SIZE$/);
    // To the minute in the table, as `kcr show` prints it; -o wide and JSON keep the full time.
    expect(rows.slice(1).map((l) => l.split(/\s+/).slice(0, 6))).toEqual([
      ['default', 'counter-pod', 'counter', 'containerd', '2026-12-02', '01:04Z'],
      ['apps', 'cthreads', 'server', 'cri-o', '2026-11-28', '16:04Z'],
      ['default', 'webserver', 'webserver', 'cri-o', '2026-11-28', '16:01Z'],
    ]);
    const wide = await runCliCaptured(['list', dir, '-o', 'wide']);
    expect(
      wide.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/)[4]),
    ).toEqual([
      // The checkpoint time is the archive's (containerd's status), not the kubelet's file name's.
      '2026-12-02T01:04:02.785Z',
      '2026-11-28T16:04:20.000Z',
      '2026-11-28T16:01:40.000Z',
    ]);
  });

  it('explains that the default directory exists only on a node', async () => {
    if (existsSync('/var/lib/kubelet/checkpoints')) return;
    const r = await runCliCaptured(['list']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^error: \/var\/lib\/kubelet\/checkpoints: no such directory\nhint: run kcr list on a node/,
    );
  });
});

describe('kcr criu decode', () => {
  it('decodes a member of an archive whose name contains colons', async () => {
    const r = await runCliCaptured(['criu', 'decode', `${CRIO.cthreads}:checkpoint/pstree.img`]);
    expect(JSON.parse(r.stdout)).toEqual({
      magic: 'PSTREE',
      entries: [{ pid: 1, ppid: 0, pgid: 1, sid: 1, threads: [1, 6, 7, 8, 9] }],
    });
  });

  it('decodes an image file and prints what crit prints', async () => {
    const dir = tmp.path('extracted');
    mkdirSync(dir);
    execFileSync('tar', [
      '-xf',
      fixture('podman', 'cthreads-server.tar'),
      '-C',
      dir,
      'checkpoint/tcp-stream-18f75.img',
    ]);
    const file = join(dir, 'checkpoint/tcp-stream-18f75.img');
    const ours = JSON.parse((await runCliCaptured(['criu', 'decode', file])).stdout);
    expect(ours.magic).toBe('TCP_STREAM');
    expect(ours.entries[0].extra).toEqual({ inq: '', outq: '' });
    if (spawnSync('crit', ['--help']).status === 0) {
      expect(ours).toEqual(JSON.parse(execFileSync('crit', ['decode', '-i', file], { encoding: 'utf8' })));
    }
  });
});

describe('kcr rootfs extract', () => {
  it('writes one changed file, mode 0600, to a file or into a directory', async () => {
    const out = tmp.path('count');
    const r = await runCliCaptured(['rootfs', 'extract', BUSYBOX, '/data/count', '--output-file', out]);
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('25\n');
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const dir = tmp.path('into');
    mkdirSync(join(dir, 'usr/share/nginx/html'), { recursive: true });
    await runCliCaptured([
      'rootfs',
      'extract',
      CRIO.web2,
      'usr/share/nginx/html/extra.html',
      '--output-file',
      dir,
    ]);
    expect(readFileSync(join(dir, 'usr/share/nginx/html/extra.html'), 'utf8')).toBe('changed\n');
  });

  it('streams the file to stdout without -o', async () => {
    const r = await runCliCaptured(['rootfs', 'extract', CRIO.web2, '/var/log/nginx/access.log']);
    expect(r.stdout.trim().split('\n')).toHaveLength(27);
    expect(r.stdout).toContain('fixture-client/1.0');
  });

  it('refuses an entry that would land outside the target directory', async () => {
    const evil = await buildTar([
      { name: '../../etc/cron.d/evil', data: Buffer.from('* * * * * root sh\n') },
    ]);
    const path = await rewriteArchive(BUSYBOX, tmp.path('evil.tar'), {
      replace: { 'rootfs-diff.tar': evil },
    });
    const dir = tmp.path('target');
    mkdirSync(dir);
    const r = await runCliCaptured([
      'rootfs',
      'extract',
      path,
      '../../etc/cron.d/evil',
      '--output-file',
      dir,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^error: rootfs-diff\.tar: entry "\.\.\/\.\.\/etc\/cron\.d\/evil" would land outside the target directory/,
    );
    expect(existsSync(join(dir, '../../etc/cron.d/evil'))).toBe(false);
  });
});

describe('the kcr executable', () => {
  let bin = '';
  beforeAll(() => {
    bin = builtBin('kcr');
  }, 180_000);

  it('exits 2 with one error line and no stack trace on bad input', () => {
    const r = spawnSync('node', [bin, 'inspect', tmp.path('missing.tar')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: .*missing\.tar: no such file or directory\nhint: /);
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });

  it('prints data on stdout and exits 0', () => {
    const r = spawnSync('node', [bin, 'show', CRIO.cthreads, '-o', 'json'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)[0].container).toBe('server');
    expect(r.stderr).toBe('');
  });
});
