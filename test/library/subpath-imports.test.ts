/**
 * Pay for what you import: each subpath of the package is imported in a fresh Node process, by
 * its package name (so the exports map is what resolves it), and the packages it loaded are
 * read back: the ESM resolutions through a loader hook, the CommonJS ones from require's cache.
 * The archive, CRIU and forensics layers load no Kubernetes, HTTP, WebSocket or progress-bar
 * code; kube and oci do, which shows that the check sees them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtBin, REPO_ROOT } from '../../src/testing/built-cli.js';

const HEAVY = ['@kubernetes/client-node', 'undici', 'ws', 'cli-progress'];

/**
 * Runs in the loader's thread: every resolved URL goes to the file KCR_LOADED_LOG names. A file,
 * not stderr: the loader thread's stderr is a non-blocking pipe, and on a loaded machine a
 * synchronous write to it fails with EAGAIN.
 */
const HOOKS = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.KCR_LOADED_LOG, 'loaded ' + result.url + '\\n');
  return result;
}`;

const work = mkdtempSync(join(tmpdir(), 'kcr-subpath-imports-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let runs = 0;

/** The npm packages a fresh `import(specifier)` loads, and how many of kcr's own modules. */
function load(specifier: string): { packages: string[]; ownModules: number } {
  const script = [
    "import { createRequire, register } from 'node:module';",
    `register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOKS)}));`,
    `await import(${JSON.stringify(specifier)});`,
    "import { appendFileSync } from 'node:fs';",
    "for (const path of Object.keys(createRequire(process.cwd() + '/').cache)) appendFileSync(process.env.KCR_LOADED_LOG, 'loaded ' + path + '\\n');",
  ].join('\n');
  const log = join(work, `loaded-${++runs}.txt`);
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, KCR_LOADED_LOG: log },
  });
  if (run.status !== 0) throw new Error(`import ${specifier} failed:\n${run.stderr}`);
  const packages = new Set<string>();
  let ownModules = 0;
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    const pkg = /^loaded .*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(line);
    if (pkg) packages.add(pkg[1]!);
    else if (/^loaded file:.*\/dist\/.*\.js$/.test(line)) ownModules++;
  }
  return { packages: [...packages].sort(), ownModules };
}

beforeAll(() => {
  builtBin('kcr'); // builds dist/ when a test runs before `npm run build`
});

describe('importing a subpath loads only what it needs', () => {
  it.each(['kcr/archive', 'kcr/criu', 'kcr/forensics', 'kcr'])(
    '%s loads none of @kubernetes/client-node, undici, ws, cli-progress',
    (specifier) => {
      const { packages, ownModules } = load(specifier);
      expect(ownModules).toBeGreaterThan(0);
      expect(packages.filter((p) => HEAVY.includes(p))).toEqual([]);
    },
  );

  it.each([
    ['kcr/kube', '@kubernetes/client-node'],
    ['kcr/oci', 'undici'],
    ['kcr/ops', '@kubernetes/client-node'],
    ['kcr/backup', 'better-sqlite3'],
    ['kcr/cluster', 'prom-client'],
  ])('%s does load %s (the check sees loaded packages)', (specifier, heavy) => {
    expect(load(specifier).packages).toContain(heavy);
  });
});
