/** DESIGN: kube/ depends on archive/ (metadata) and the shared errors and util only; never on oci/, cli/ or server/. */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('../../src/kube/', import.meta.url));
const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));

describe('src/kube imports', () => {
  it.each(sources)('%s imports only allowed modules', (file) => {
    const text = readFileSync(dir + file, 'utf8');
    const relative = [...text.matchAll(/from '(\.[^']+)'/g)].map((m) => m[1]!);
    const outside = relative.filter(
      (p) => p.startsWith('../') && !/^\.\.\/(archive\/index|errors|util\/[\w-]+)\.js$/.test(p),
    );
    expect(outside).toEqual([]);
  });
});
