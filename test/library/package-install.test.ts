/**
 * kcr installs like a package: `npm pack` makes the tarball (no tests, fixtures or test helpers
 * in it), `npm ci` installs it into an empty directory with the same dependency versions as
 * this repository's lock file (from npm's cache: no network unless the cache lacks a tarball),
 * and there every subpath is imported from an .mjs file, type-checked from a .ts file with
 * moduleResolution node16, and the installed `kcr --version` runs.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../src/testing/archive-builder.js';
import { builtBin, REPO_ROOT } from '../../src/testing/built-cli.js';
import { fixture } from '../../src/testing/fixtures.js';
import { VERSION } from '../../src/version.js';

const SUBPATHS = [
  'kcr',
  'kcr/archive',
  'kcr/criu',
  'kcr/forensics',
  'kcr/oci',
  'kcr/kube',
  'kcr/ops',
  'kcr/backup',
  'kcr/cluster',
];
const ARCHIVE = fixture('crio/checkpoint-cthreads_apps-server-2026-11-28T16:04:20Z.tar');

interface LockEntry {
  dev?: boolean;
  link?: boolean;
  [key: string]: unknown;
}

interface PackedFile {
  path: string;
}

const tmp = tempDir('kcr-pack-');
const app = join(tmp.dir, 'app');
let packed: PackedFile[];

/** npm's own variables from `npm test` would steer the inner npm (prefix, scripts, ...). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
}

/** Runs a command; a failure carries its whole output, so tsc's and npm's complaints are shown. */
function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, env: cleanEnv(), encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}${result.stderr}`,
    );
  }
  return result.stdout;
}

/**
 * A lock file for the consumer: kcr from the tarball, and every non-dev package of this
 * repository's lock at the same path and version, so `npm ci` resolves nothing anew.
 */
function consumerLock(tarball: string): object {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const repoLock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const packages: Record<string, unknown> = {
    '': { name: 'kcr-consumer', dependencies: { kcr: `file:${tarball}` } },
    'node_modules/kcr': {
      version: pkg.version,
      resolved: `file:${tarball}`,
      license: pkg.license,
      dependencies: pkg.dependencies,
      optionalDependencies: pkg.optionalDependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [path, entry] of Object.entries(repoLock.packages)) {
    if (path !== '' && !entry.dev && !entry.link) packages[path] = entry;
  }
  return { name: 'kcr-consumer', lockfileVersion: 3, requires: true, packages };
}

beforeAll(() => {
  builtBin('kcr'); // dist/ must exist; the pack below does not build
  const out = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp.dir], REPO_ROOT);
  const [info] = JSON.parse(out) as Array<{ filename: string; files: PackedFile[] }>;
  packed = info!.files;
  const tarball = join(tmp.dir, info!.filename);
  run('mkdir', ['-p', app], tmp.dir);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'kcr-consumer',
      private: true,
      type: 'module',
      dependencies: { kcr: `file:${tarball}` },
    }),
  );
  writeFileSync(join(app, 'package-lock.json'), JSON.stringify(consumerLock(tarball)));
  // No native builds: zstd-napi is optional and only zstd-compressed layers need it.
  run(
    'npm',
    ['ci', '--prefer-offline', '--omit=optional', '--ignore-scripts', '--no-audit', '--no-fund'],
    app,
  );
}, 300_000);
afterAll(() => tmp.cleanup());

describe('the npm package', () => {
  it('holds the build, the bins and the README, and no tests, fixtures or test helpers', () => {
    const paths = packed.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining(['README.md', 'package.json', 'bin/kcr.js', 'bin/kubectl-kcr.js']),
    );
    for (const sub of [
      '',
      'archive/',
      'criu/',
      'forensics/',
      'oci/',
      'kube/',
      'ops/',
      'backup/',
      'cluster/',
    ]) {
      expect(paths).toEqual(expect.arrayContaining([`dist/${sub}index.js`, `dist/${sub}index.d.ts`]));
    }
    expect(paths.filter((p) => /(^|\/)(test|tests|fixtures|testing)\/|\.test\.|^src\//.test(p))).toEqual([]);
  });

  it('imports every subpath from an .mjs file and reads a checkpoint with it', () => {
    const script = [
      ...SUBPATHS.map((s, i) => `import * as m${i} from '${s}';`),
      `const modules = { ${SUBPATHS.map((s, i) => `'${s}': m${i}`).join(', ')} };`,
      'const counts = Object.fromEntries(Object.entries(modules).map(([k, m]) => [k, Object.keys(m).length]));',
      `const report = await m0.withCheckpoint(process.argv[2], (cp) => m0.inspect(cp, { views: new Set(['processes']) }));`,
      'console.log(JSON.stringify({ counts, container: report.checkpoint.container, version: m0.VERSION }));',
    ].join('\n');
    writeFileSync(join(app, 'consumer.mjs'), script);
    const out = JSON.parse(run(process.execPath, ['consumer.mjs', ARCHIVE], app)) as {
      counts: Record<string, number>;
      container: string;
      version: string;
    };
    for (const s of SUBPATHS) expect(out.counts[s], s).toBeGreaterThan(s === 'kcr' ? 3 : 4);
    expect(out.container).toBe('server');
    expect(out.version).toBe(VERSION);
  });

  it('type-checks a .ts file importing every subpath with moduleResolution node16', () => {
    writeFileSync(
      join(app, 'consumer.mts'),
      `import { withCheckpoint, inspect, KcrError, type Inspection } from 'kcr';
import { CheckpointArchive, readMetadata, type CheckpointInfo } from 'kcr/archive';
import { decodeImage, toCritJson, type DecodedImage } from 'kcr/criu';
import { processTree, searchMemory, type ProcessInfo, type MemoryHit } from 'kcr/forensics';
import { parseReference, writeOciLayout, type BuiltImage } from 'kcr/oci';
import { loadKubeconfig, doctor, type DoctorReport } from 'kcr/kube';
import { checkpoint, restore, type OpEvent, type RestoreResult } from 'kcr/ops';
import { openStore, Catalog, backupArchive, restoreBackup, type BackupRecord, type Store } from 'kcr/backup';

export async function container(path: string): Promise<string> {
  const archive = await CheckpointArchive.open(path);
  try {
    const info: CheckpointInfo = (await readMetadata(archive)).info;
    return info.container;
  } finally {
    await archive.close();
  }
}
export const report: (path: string) => Promise<Inspection> = (path) =>
  withCheckpoint(path, (cp) => inspect(cp, { views: new Set(['processes']) }));
export const used = [KcrError, decodeImage, toCritJson, processTree, searchMemory, parseReference, writeOciLayout, loadKubeconfig, doctor, checkpoint, restore, openStore, Catalog, backupArchive, restoreBackup];
export type Used = [DecodedImage, ProcessInfo, MemoryHit, BuiltImage, DoctorReport, OpEvent, RestoreResult, BackupRecord, Store];
`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'node16',
          moduleResolution: 'node16',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          // Third-party declarations (client-node's ws typings) are not ours to check.
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [join(REPO_ROOT, 'node_modules/@types')],
        },
        files: ['consumer.mts'],
      }),
    );
    const tsc = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
    run(process.execPath, [tsc, '-p', 'tsconfig.json'], app);
  });

  it('runs the installed kcr --version', () => {
    expect(run(join(app, 'node_modules/.bin/kcr'), ['--version'], app).trim()).toBe(VERSION);
  });
});
