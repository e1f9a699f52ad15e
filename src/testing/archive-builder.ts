/**
 * Crafts test archives from a real fixture: members dropped, replaced or added, written with
 * tar-stream (a real tar writer), into a temp directory the test removes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pack as tarPack } from 'tar-stream';
import { CheckpointArchive } from '../archive/archive.js';

export interface ArchiveEdits {
  drop?: string[];
  replace?: Record<string, Buffer>;
  add?: Array<{ name: string; data: Buffer; type?: 'file' | 'symlink'; linkname?: string }>;
}

export interface TempDir {
  dir: string;
  path: (name: string) => string;
  cleanup: () => void;
}

export function tempDir(prefix = 'kcr-test-'): TempDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    path: (name) => join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Builds a tar from entries, in order. */
export async function buildTar(entries: NonNullable<ArchiveEdits['add']>): Promise<Buffer> {
  const pack = tarPack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const e of entries) {
    if (e.type === 'symlink') pack.entry({ name: e.name, type: 'symlink', linkname: e.linkname ?? '' });
    else pack.entry({ name: e.name, size: e.data.length, mode: 0o644, mtime: new Date(0) }, e.data);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Copies `source` with edits into `target`; returns `target`. */
export async function rewriteArchive(source: string, target: string, edits: ArchiveEdits): Promise<string> {
  const archive = await CheckpointArchive.open(source);
  try {
    const entries: NonNullable<ArchiveEdits['add']> = [];
    for (const m of archive.members()) {
      if (m.type !== 'file' || edits.drop?.includes(m.name)) continue;
      entries.push({ name: m.name, data: edits.replace?.[m.name] ?? (await archive.read(m.name)) });
    }
    entries.push(...(edits.add ?? []));
    writeFileSync(target, await buildTar(entries));
    return target;
  } finally {
    await archive.close();
  }
}
