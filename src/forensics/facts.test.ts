/**
 * On every real fixture, kcr's views equal the facts recorded from the live container and
 * from CRIU 4.2's own decoder: process tree, cmdlines, env names, fds, sockets, rootfs changes.
 */
import { describe, expect, it } from 'vitest';
import { allFixtures, fixture, loadFacts, type FactsFd } from '../testing/fixtures.js';
import { withCheckpoint } from './checkpoint.js';
import { inspect, INSPECT_VIEWS } from './inspect.js';

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
    expect(got).toEqual(want);
    expect(r.processes!.every((p) => p.state === 'alive')).toBe(true);
  });

  it('reads command lines and environment names from the dumped memory', async () => {
    const r = await inspectAll(archive);
    for (const want of facts.processes.list) {
      const p = r.processes!.find((x) => x.pid === want.pid)!;
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
    for (const want of facts.processes.list) {
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
          expect(got.flags).toBe(wantFd.flags_octal);
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
      expect(got.protocol).toBe(want.proto);
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
    const socketFds = facts.processes.list.flatMap((p) =>
      Object.values(p.fds).filter((f: FactsFd) => f.type === 'INETSK' || f.type === 'UNIXSK'),
    );
    expect(r.sockets!.length).toBe(socketFds.length);
  });

  it('lists the rootfs changes and the deleted files', async () => {
    const r = await inspectAll(archive);
    const want = facts.rootfs_diff.members
      .filter((m) => m.type !== 'dir')
      .map((m) => ({ path: '/' + m.name, size: m.size }));
    expect(r.rootfs!.changed.map((f) => ({ path: f.path, size: f.size }))).toEqual(want);
    expect(r.rootfs!.deleted).toEqual(facts.deleted_files.parsed ?? []);
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
