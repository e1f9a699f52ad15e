/**
 * Facts of the real CRI-O 1.36 archives (test/fixtures/crio-real) as a user sees them: the zombie,
 * the FIFO with its queued bytes, pipe ends, and the rootfs view of special files.
 */
import { describe, expect, it } from 'vitest';
import { CRIO_REAL, fixture, loadFacts } from '../../src/testing/fixtures.js';
import { runCliCaptured } from '../../src/testing/run-cli.js';

const [TOOLBOX_CASE] = CRIO_REAL;
const TOOLBOX = fixture(TOOLBOX_CASE!.archive);
const toolboxFacts = loadFacts(TOOLBOX_CASE!.facts);

describe('a zombie', () => {
  it('shows with its name, zombie state and exit code in the process tree', async () => {
    const zombie = toolboxFacts.processes.list.find((p) => p.zombie)!;
    const r = await runCliCaptured(['inspect', TOOLBOX, '--ps-tree-cmd']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`[${zombie.pid}] ${zombie.comm}  (zombie, exit ${zombie.exit_code})`);
    expect(r.stdout).not.toContain('unknown');
    expect(r.stdout).not.toContain('partly not in the dump');
  });
});

describe('a FIFO', () => {
  const fifo = toolboxFacts.fifos!.list[0]!;

  it('shows its path, open mode and the queued bytes, escaped, in the files view', async () => {
    const r = await runCliCaptured(['inspect', TOOLBOX, '--files']);
    expect(r.code, r.stderr).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.includes(' FIFO '))!;
    expect(line).toContain(`FIFO      ${fifo.path}`);
    expect(line).toContain('read-write end');
    expect(line).toContain(`${fifo.queued[0]!.bytes} bytes queued: "fifo-payload-KCRTOOLBOX\\n"`);
  });

  it('is a fifo, not other, in the rootfs view', async () => {
    const r = await runCliCaptured(['inspect', TOOLBOX, '--rootfs', '-o', 'json']);
    const doc = JSON.parse(r.stdout) as { rootfs: { changed: Array<{ path: string; type: string }> } };
    expect(doc.rootfs.changed.find((f) => f.path === fifo.path)?.type).toBe('fifo');
  });

  it('is refused by rootfs extract with what it is and where its bytes are shown', async () => {
    const r = await runCliCaptured(['rootfs', 'extract', TOOLBOX, fifo.path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: rootfs-diff\.tar: tmp\/q is a FIFO \(named pipe\), not a regular file/);
    expect(r.stderr).toMatch(/\nhint: .*kcr inspect --files/);
  });
});

describe('pipes', () => {
  it('name the process holding the other end', async () => {
    const pipe = toolboxFacts.pipes!.list.find((p) => p.ends.some((e) => e.end === 'read'))!;
    const reader = pipe.ends.find((e) => e.end === 'read')!;
    const writer = pipe.ends.find((e) => e.end === 'write')!;
    const r = await runCliCaptured([
      'inspect',
      TOOLBOX,
      '--files',
      '--pid',
      String(reader.pid),
      '-o',
      'json',
    ]);
    const doc = JSON.parse(r.stdout) as {
      files: Array<{ fds: Array<{ fd: number; end?: string; peers?: Array<{ pid: number; fd: number }> }> }>;
    };
    const fd = doc.files[0]!.fds.find((f) => f.fd === reader.fd)!;
    expect(fd.end).toBe('read');
    expect(fd.peers).toEqual([{ pid: writer.pid, fd: writer.fd, end: 'write' }]);
  });
});
