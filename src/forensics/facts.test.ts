/**
 * On every real fixture, kcr's views equal the facts recorded from the live container and
 * from CRIU 4.2's own decoder: process tree, cmdlines, env names, fds, sockets, rootfs changes.
 */
import { describe, expect, it } from 'vitest';
import { allFixtures, fixture, liveProcesses, loadFacts, type FactsFd } from '../testing/fixtures.js';
import { printableBytes } from '../util/printable-bytes.js';
import { withCheckpoint } from './checkpoint.js';
import { inspect, INSPECT_VIEWS } from './inspect.js';
import { openFlagNames } from './open-files.js';

/** Open flags as a set of names: the Podman facts give octal, the crio-real facts `O_RDWR | O_LARGEFILE`. */
const openFlags = (octal: string | undefined) =>
  octal === undefined
    ? undefined
    : openFlagNames(Number(octal))
        .split('|')
        .filter((f) => f !== 'O_RDONLY')
        .sort()
        .join('|');

function factsFlags(fd: FactsFd): string | undefined {
  if (fd.flags_octal) return openFlags(fd.flags_octal);
  return fd.flags
    ?.split(/\s*\|\s*/)
    .filter((f) => f !== 'O_RDONLY')
    .sort()
    .join('|');
}

const cases = allFixtures().map((c) => ({ ...c, name: c.archive }));

async function inspectAll(archive: string) {
  return withCheckpoint(fixture(archive), (cp) =>
    inspect(cp, { views: new Set(INSPECT_VIEWS), showSecrets: true }),
  );
}

describe.each(cases)('$name', ({ archive, facts: factsFile }) => {
  const facts = loadFacts(factsFile);

  it('has the process tree of pstree.img with comm, threads and thread names', async () => {
    const r = await inspectAll(archive);
    const got = r.processes!.map((p) => ({
      pid: p.pid,
      ppid: p.ppid,
      pgid: p.pgid,
      sid: p.sid,
      comm: p.comm,
      threads: p.threads,
    }));
    const want = facts.processes.list.map((p) => ({
      pid: p.pid,
      ppid: p.ppid,
      pgid: p.pgid,
      sid: p.sid,
      comm: p.comm,
      threads: p.threads,
    }));
    // kcr lists by PID; pstree.img (and so the facts) lists children in fork order.
    expect(got).toEqual(want.sort((a, b) => a.pid - b.pid));
    for (const p of facts.processes.list) {
      const state = r.processes!.find((x) => x.pid === p.pid)!;
      // CRIU records a zombie as TASK_DEAD with its exit code; everything else here was alive.
      if (p.zombie) expect(state).toMatchObject({ state: 'zombie', exitCode: p.exit_code, threads: [] });
      else expect(state.state).toBe('alive');
    }
  });

  it('reads command lines and environment names from the dumped memory', async () => {
    const r = await inspectAll(archive);
    for (const want of facts.processes.list) {
      const p = r.processes!.find((x) => x.pid === want.pid)!;
      if (want.zombie) {
        // A zombie's memory is gone: an empty command line is the truth, not a gap in the dump.
        expect(p).toMatchObject({ cmdline: [], env: [] });
        expect(p.argsIncomplete).toBeUndefined();
        continue;
      }
      expect(p.cmdline, `pid ${want.pid} cmdline`).toEqual(want.cmdline);
      expect(
        p.env!.map((e) => e.name),
        `pid ${want.pid} env`,
      ).toEqual(want.env_names);
      expect(p.exe).toBe(want.exe);
    }
  });

  it('lists every open fd with its type, path, position and flags, and cwd/root', async () => {
    const r = await inspectAll(archive);
    expect(r.files!.map((f) => f.pid)).toEqual(
      liveProcesses(facts)
        .map((p) => p.pid)
        .sort((a, b) => a - b),
    );
    for (const want of liveProcesses(facts)) {
      const pf = r.files!.find((x) => x.pid === want.pid)!;
      expect(pf.cwd).toBe(want.cwd);
      expect(pf.root).toBe(want.root);
      expect(pf.fds.map((f) => f.fd)).toEqual(Object.keys(want.fds).map(Number));
      for (const [fd, wantFd] of Object.entries(want.fds)) {
        const got = pf.fds.find((f) => f.fd === Number(fd))!;
        expect(got.type, `pid ${want.pid} fd ${fd}`).toBe(wantFd.type);
        if (wantFd.type === 'REG') {
          expect(got.path).toBe(wantFd.path);
          expect(got.pos).toBe(wantFd.pos);
          expect(openFlags(got.flags), `pid ${want.pid} fd ${fd} flags`).toBe(factsFlags(wantFd));
          expect(Boolean(got.deleted)).toBe(Boolean(wantFd.deleted));
          if (wantFd.remap) expect(got.remap).toBe(wantFd.remap);
        } else if (wantFd.path) {
          expect(got.path).toBe(wantFd.path);
        }
        if (wantFd.inode !== undefined) expect(got.inode).toBe(wantFd.inode);
      }
    }
  });

  it('describes TCP sockets with state and addresses, and unix sockets with their peers', async () => {
    const r = await inspectAll(archive);
    const tcp = [...facts.tcp_sockets.listening, ...facts.tcp_sockets.established];
    for (const want of tcp) {
      const got = r.sockets!.find((s) => s.pid === want.pid && s.fd === want.fd)!;
      expect(got, `pid ${want.pid} fd ${want.fd}`).toBeDefined();
      expect(got.protocol).toBe(want.proto?.toLowerCase());
      expect(got.state).toBe(want.state);
      expect(got.local).toBe(want.local);
      expect(got.remote).toBe(want.peer);
      expect(got.inode).toBe(want.inode);
    }
    for (const want of facts.unix_sockets.sockets) {
      const got = r.sockets!.find((s) => s.pid === want.pid && s.fd === want.fd)!;
      expect(got.family).toBe('unix');
      expect(got.type).toBe((want.sock_type ?? '').toLowerCase());
      expect(got.state).toBe(want.state);
      expect(got.inode).toBe(want.inode);
      expect(got.peerInode).toBe(want.peer_inode);
      expect(got.path ?? '').toBe(want.name);
    }
    for (const q of facts.unix_sockets.queued_data) {
      expect(r.sockets!.find((s) => s.inode === q.socket_inode)?.receiveQueue).toBe(q.length);
    }
    const socketFds = liveProcesses(facts).flatMap((p) =>
      Object.values(p.fds).filter((f: FactsFd) => f.type === 'INETSK' || f.type === 'UNIXSK'),
    );
    expect(r.sockets!.length).toBe(socketFds.length);
  });

  it('lists the rootfs changes and the deleted files', async () => {
    const r = await inspectAll(archive);
    const want = facts.rootfs_diff.members
      .filter((m) => m.type !== 'dir')
      .map((m) => ({ path: '/' + m.name, size: m.size, type: m.type }));
    expect(r.rootfs!.changed.map((f) => ({ path: f.path, size: f.size, type: f.type }))).toEqual(want);
    expect(r.rootfs!.deleted).toEqual(facts.deleted_files.parsed ?? []);
  });

  it('shows each FIFO by its path and open mode, with the bytes queued in it', async () => {
    const r = await inspectAll(archive);
    for (const fifo of facts.fifos?.list ?? []) {
      for (const holder of fifo.holders) {
        const got = r.files!.find((p) => p.pid === holder.pid)!.fds.find((f) => f.fd === holder.fd)!;
        expect(got).toMatchObject({ type: 'FIFO', path: fifo.path, inode: fifo.pipe_id });
        expect(openFlagNames(Number(got.flags)).split('|')).toContain(holder.access);
        const queued = fifo.queued.reduce((n, q) => n + q.bytes, 0);
        expect(got.queued).toEqual({
          bytes: queued,
          head: printableBytes(Buffer.from(fifo.queued[0]!.data_base64, 'base64')),
        });
      }
    }
  });

  it('shows for each pipe end which processes hold the other ends', async () => {
    const r = await inspectAll(archive);
    for (const pipe of facts.pipes?.list ?? []) {
      for (const end of pipe.ends) {
        const got = r.files!.find((p) => p.pid === end.pid)!.fds.find((f) => f.fd === end.fd)!;
        expect(got).toMatchObject({ type: 'PIPE', inode: pipe.pipe_id, end: end.end });
        const others = pipe.ends.filter((e) => e.pid !== end.pid || e.fd !== end.fd);
        expect(
          (got.peers ?? []).map((p) => [p.pid, p.fd, p.end]).sort(),
          `pipe ${pipe.pipe_id} pid ${end.pid} fd ${end.fd}`,
        ).toEqual(others.map((e) => [e.pid, e.fd, e.end]).sort());
      }
    }
  });

  it('reports the CRIU dump statistics', async () => {
    const r = await inspectAll(archive);
    const d = facts.criu_dump_stats.dump;
    expect(r.stats).toMatchObject({
      freezingTimeUs: d.freezing_time,
      frozenTimeUs: d.frozen_time,
      memdumpTimeUs: d.memdump_time,
      memwriteTimeUs: d.memwrite_time,
      pagesScanned: d.pages_scanned,
      pagesWritten: d.pages_written,
    });
  });
});
