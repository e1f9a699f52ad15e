// Bundles the CLI into dist/cli-bundle/ (one entry plus lazily loaded chunks). Node's ESM loader
// pays per module file, and kcr is started for every command: a bundle starts in about a third
// of the time of the ~150 separate modules. The library (dist/index.js) stays unbundled.
import { build } from 'esbuild';

await build({
  entryPoints: { bin: 'dist/cli/bin.js' },
  outdir: 'dist/cli-bundle',
  bundle: true,
  splitting: true,
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
  sourcemap: 'linked',
  logLevel: 'warning',
});
