/**
 * DESIGN's module table, enforced: each module imports only the modules below it. Static
 * imports, re-exports and dynamic import() all count.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** module → the modules of ours it may use (errors.ts, version.ts and util/ are the shared ground). */
const ALLOWED: Record<string, string[]> = {
  util: ['errors'],
  archive: ['errors', 'util', 'version'],
  criu: ['errors', 'util'],
  forensics: ['archive', 'criu', 'errors', 'util', 'version'],
  oci: ['archive', 'criu', 'errors', 'util', 'version'],
  kube: ['archive', 'errors', 'util', 'version'],
  ops: ['kube', 'oci', 'forensics', 'archive', 'errors', 'util', 'version'],
  backup: ['archive', 'errors', 'forensics', 'kube', 'oci', 'ops', 'util', 'version'],
  cluster: ['archive', 'backup', 'criu', 'errors', 'forensics', 'kube', 'oci', 'ops', 'util', 'version'],
  server: [
    'archive',
    'backup',
    'cluster',
    'criu',
    'errors',
    'forensics',
    'kube',
    'oci',
    'ops',
    'util',
    'version',
  ],
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

/** The top-level module (`archive`, `errors`, ...) each relative import of `file` lands in. */
function importedModules(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*)'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  return specs.map((spec) => {
    const target = relative(SRC, join(file, '..', spec));
    return target.split('/')[0]!.replace(/\.js$/, '');
  });
}

describe('module layering', () => {
  for (const [module, allowed] of Object.entries(ALLOWED)) {
    it(`${module}/ imports only ${allowed.join(', ')}`, () => {
      const offending = sources(join(SRC, module)).flatMap((file) =>
        importedModules(file)
          .filter((m) => m !== module && !allowed.includes(m))
          .map((m) => `${relative(SRC, file)} → ${m}`),
      );
      expect(offending).toEqual([]);
    });
  }

  it('sees dynamic imports too (the check itself can fail)', () => {
    const cli = sources(join(SRC, 'cli')).flatMap(importedModules);
    expect(cli).toContain('kube');
    expect(cli).toContain('oci');
    expect(cli).toContain('ops');
  });
});
