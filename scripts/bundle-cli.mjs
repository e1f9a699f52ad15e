// Bundles the CLI into dist/cli-bundle/: one entry plus lazily loaded chunks (bin.js), and for
// the hot offline commands one file each (fast-NAME.js, from src/cli/fast/). Node's ESM loader
// pays per module file, and kcr is started for every command: a bundle starts in about a third
// of the time of the ~150 separate modules, and a single file 25-30 ms sooner than the ~25 chunks a
// command loads. The library (dist/index.js) stays unbundled.
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { build } from 'esbuild';

// `kcr version` names the commit the bundle was built from; outside a git checkout it says unknown.
let commit = '';
try {
  commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  }).trim();
} catch {
  /* not a git checkout (an installed package): the version alone says what it is */
}

/**
 * zod re-exports its forty-odd message locales as `z.locales`, which keeps them all in the bundle
 * (a third of zod's source, parsed at every start). kcr uses only English, which zod imports on its
 * own; `z.locales` holds just `en` in the bundle.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer) ? { path: 'zod-locales', namespace: 'kcr-stub' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'kcr-stub' }, () => ({
      contents: "export { default as en } from 'zod/v4/locales/en.js';",
      resolveDir: process.cwd(),
    }));
  },
};

/**
 * commander requires node:child_process at load, for executable subcommands (`git-foo` style),
 * which kcr never uses; loading it (and the net and dgram code under it) costs every command
 * 3-10 ms at start. In the bundle it is required on the first spawn instead.
 */
const commanderSpawnsLazily = {
  name: 'commander-spawns-lazily',
  setup(b) {
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const eager = "const childProcess = require('node:child_process');";
      if (!source.includes(eager))
        throw new Error(`${args.path}: commander no longer requires child_process as expected`);
      return {
        contents: source.replace(
          eager,
          "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };",
        ),
        loader: 'js',
      };
    });
  },
};

// Chunk names carry content hashes: without a clean directory, old chunks would pile up (and ship).
rmSync('dist/cli-bundle', { recursive: true, force: true });

const common = {
  outdir: 'dist/cli-bundle',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Native, or large and only loaded by the commands that need them (dynamic imports).
  external: [
    'zstd-napi',
    '@kubernetes/client-node',
    'undici',
    'better-sqlite3',
    '@aws-sdk/client-s3',
    '@aws-sdk/lib-storage',
  ],
  // Bundled CommonJS dependencies call require(); give them one in ESM.
  banner: {
    js: "import { createRequire as __kcrCreateRequire } from 'node:module'; const require = __kcrCreateRequire(import.meta.url);",
  },
  define: { KCR_COMMIT: JSON.stringify(commit) },
  plugins: [zodEnglishOnly, commanderSpawnsLazily],
  sourcemap: 'linked',
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
};

await build({
  ...common,
  // The memory scan's worker thread is started from a file beside the chunk that starts it (the
  // fast entries sit in the same directory).
  entryPoints: { bin: 'dist/cli/bin.js', 'scan-worker': 'dist/forensics/memory/scan-worker.js' },
  splitting: true,
});

// Each fast entry is a program of its own; the only code it shares with the others is on disk.
const fast = readdirSync('dist/cli/fast').filter((f) => f.endsWith('.js') && f !== 'one-command.js');
await Promise.all(
  fast.map((f) =>
    build({ ...common, entryPoints: { [`fast-${f.replace(/\.js$/, '')}`]: `dist/cli/fast/${f}` } }),
  ),
);
