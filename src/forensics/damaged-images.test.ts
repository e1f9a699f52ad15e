/**
 * One damaged image costs one view: every CRIU image of every fixture (and stats-dump) is flipped,
 * cut and removed in turn, and each view that does not read that image must still equal what the
 * intact archive gives (which facts.test.ts checks against the facts). A view that cannot be built
 * is listed in `errors`, never silently dropped. The archives are extracted once into directories
 * (which kcr reads as it reads a tar), so each mutation costs one file write, not a new tar.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointArchive } from '../archive/archive.js';
import { tempDir } from '../testing/archive-builder.js';
import { DISTINCT_IMAGE_SETS, fixture } from '../testing/fixtures.js';
import { withCheckpoint } from './checkpoint.js';
import { inspect, INSPECT_VIEWS, type Inspection } from './inspect.js';
import { VIEW_IMAGES, type ViewName } from './view-errors.js';

const tmp = tempDir('kcr-damage-');
afterAll(() => tmp.cleanup());

/** A flipped byte in the middle (bad values or bad framing), the image cut in half, the member gone. */
type Mutation = 'flip' | 'cut' | 'missing';
const MUTATIONS: Mutation[] = ['flip', 'cut', 'missing'];

function mutate(bytes: Buffer, how: Mutation): Buffer | undefined {
  const out = Buffer.from(bytes);
  if (how === 'missing') return undefined;
  if (how === 'cut') return out.subarray(0, Math.floor(out.length / 2));
  const at = Math.floor(out.length / 2);
  if (out.length > 0) out[at] = out[at]! ^ 0xff;
  return out;
}

/** What each view contributes, with the parts that read other images taken out. */
function viewsOf(r: Inspection): Partial<Record<ViewName, unknown>> {
  const procs = r.processes;
  return {
    // `images` counts the files: one fewer when one is missing.
    criu: { ...r.criu, images: undefined },
    // `exe` needs mm-N.img and files.img; the facts test checks it.
    processes: procs?.map(({ pid, ppid, pgid, sid, comm, state, threads, exitCode, uid, gid, euid }) => ({
      pid,
      ppid,
      pgid,
      sid,
      comm,
      state,
      threads,
      exitCode,
      uid,
      gid,
      euid,
    })),
    cmdline: procs?.[0]?.cmdline && procs.map((p) => [p.pid, p.cmdline, p.titleRewritten, p.argsIncomplete]),
    env: procs?.[0]?.env && procs.map((p) => [p.pid, p.env]),
    files: r.files,
    sockets: r.sockets,
    mounts: r.mounts,
    rootfs: r.rootfs,
    stats: r.stats,
    log: r.log,
    metadata: r.metadata,
  };
}

const reads = (view: ViewName, image: string) => (VIEW_IMAGES[view] ?? []).some((re) => re.test(image));

async function inspectDir(dir: string): Promise<Inspection> {
  return withCheckpoint(dir, (cp) => inspect(cp, { views: new Set(INSPECT_VIEWS), showSecrets: true }));
}

describe.each(DISTINCT_IMAGE_SETS)('%s with one damaged image', (archive) => {
  const dir = tmp.path(archive.replace(/\W/g, '_'));
  const images: Array<{ member: string; image: string; bytes: Buffer }> = [];
  let baseline: Partial<Record<ViewName, unknown>>;

  beforeAll(async () => {
    const a = await CheckpointArchive.open(fixture(archive));
    try {
      for (const m of a.members()) {
        if (m.type !== 'file') continue;
        const path = join(dir, m.name);
        mkdirSync(dirname(path), { recursive: true });
        const bytes = await a.read(m.name);
        writeFileSync(path, bytes);
        const image = m.name.slice(m.name.lastIndexOf('/') + 1);
        const isImage = m.name.startsWith('checkpoint/') && image.endsWith('.img');
        if (isImage || m.name === 'stats-dump') images.push({ member: m.name, image, bytes });
      }
    } finally {
      await a.close();
    }
    const intact = await inspectDir(dir);
    expect(intact.errors).toBeUndefined();
    baseline = viewsOf(intact);
  }, 60_000);

  it('keeps every view that does not read the damaged image, and names the ones that do', async () => {
    expect(images.length).toBeGreaterThan(20);
    const failures: string[] = [];
    for (const { member, image, bytes } of images) {
      const path = join(dir, member);
      for (const how of MUTATIONS) {
        const damaged = mutate(bytes, how);
        if (damaged) writeFileSync(path, damaged);
        else rmSync(path);
        try {
          const r = await inspectDir(dir);
          const got = viewsOf(r);
          const failed = new Set((r.errors ?? []).map((e) => e.view));
          for (const view of Object.keys(baseline) as ViewName[]) {
            if (baseline[view] === undefined) continue;
            if (failed.has(view)) {
              if (!reads(view, image)) failures.push(`${image} ${how}: ${view} failed without reading it`);
              continue;
            }
            if (got[view] === undefined) failures.push(`${image} ${how}: ${view} missing and not in errors`);
            else if (!reads(view, image)) {
              try {
                expect(got[view]).toEqual(baseline[view]);
              } catch {
                failures.push(`${image} ${how}: ${view} changed`);
              }
            }
          }
        } catch (err) {
          failures.push(
            `${image} ${how}: inspect gave up: ${err instanceof Error ? err.message : String(err)}`,
          );
        } finally {
          writeFileSync(path, bytes);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);
});

describe('an archive whose checkpoint/ directory is empty', () => {
  it('still shows the views that need no CRIU image, and names the ones that do', async () => {
    const dir = tmp.path('no-dump');
    const a = await CheckpointArchive.open(fixture(DISTINCT_IMAGE_SETS[3]!));
    try {
      for (const m of a.members()) {
        if (m.type !== 'file' || m.name.startsWith('checkpoint/')) continue;
        mkdirSync(dirname(join(dir, m.name)), { recursive: true });
        writeFileSync(join(dir, m.name), await a.read(m.name));
      }
    } finally {
      await a.close();
    }
    mkdirSync(join(dir, 'checkpoint'), { recursive: true });
    const r = await inspectDir(dir);
    expect(r.metadata?.annotations['io.kubernetes.pod.name']).toBe('toolbox');
    expect(r.rootfs?.deleted).toEqual(['/etc/motd']);
    expect(r.stats).toBeDefined();
    expect(r.log).toBeDefined();
    expect(r.mounts).toBeUndefined();
    expect(new Set(r.errors!.map((e) => e.view))).toEqual(
      new Set(['processes', 'cmdline', 'env', 'files', 'sockets', 'mounts']),
    );
    expect(r.errors!.every((e) => e.image === 'pstree.img')).toBe(true);
    expect(r.errors![0]!.message).toMatch(/has no checkpoint\/pstree\.img/);
    expect(readFileSync(join(dir, 'spec.dump')).length).toBeGreaterThan(0);
  });
});
