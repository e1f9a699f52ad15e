import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { tempDir } from '../testing/archive-builder.js';
import { loadKubeconfig } from './kubeconfig.js';

const tmp = tempDir('kcr-kubeconfig-');
afterAll(() => tmp.cleanup());

function kubeconfig(
  name: string,
  contexts: { name: string; server: string; namespace?: string }[],
  current?: string,
): string {
  const path = tmp.path(name);
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: contexts.map((c) => ({ name: c.name, cluster: { server: c.server } })),
      users: contexts.map((c) => ({ name: c.name, user: { token: `token-${c.name}` } })),
      contexts: contexts.map((c) => ({
        name: c.name,
        context: { cluster: c.name, user: c.name, ...(c.namespace ? { namespace: c.namespace } : {}) },
      })),
      ...(current ? { 'current-context': current } : {}),
    }),
  );
  return path;
}

describe('loadKubeconfig', () => {
  const a = kubeconfig('a.yaml', [{ name: 'prod', server: 'https://prod:6443', namespace: 'shop' }], 'prod');
  const b = kubeconfig(
    'b.yaml',
    [
      { name: 'prod', server: 'https://other:6443' },
      { name: 'dev', server: 'https://dev:6443' },
    ],
    'dev',
  );

  it('merges KUBECONFIG files as kubectl does: the first to name a thing wins', () => {
    const loaded = loadKubeconfig({ env: { KUBECONFIG: `${a}:/missing/file:${b}` } });
    expect(loaded).toMatchObject({ context: 'prod', server: 'https://prod:6443', namespace: 'shop' });
    expect(loadKubeconfig({ env: { KUBECONFIG: `${a}:${b}` }, context: 'dev' }).server).toBe(
      'https://dev:6443',
    );
  });

  it('lets --kubeconfig beat KUBECONFIG, and defaults the namespace to default', () => {
    const loaded = loadKubeconfig({ kubeconfig: b, env: { KUBECONFIG: a } });
    expect(loaded).toMatchObject({ context: 'dev', namespace: 'default' });
  });

  it('names an unknown --context and lists the known ones', () => {
    expect(() => loadKubeconfig({ kubeconfig: b, context: 'staging', env: {} })).toThrow(
      'context "staging" not found in the kubeconfig',
    );
  });

  it('says so when there is no kubeconfig at all', () => {
    expect(() => loadKubeconfig({ env: { HOME: tmp.path('nohome') } })).toThrow('no kubeconfig found');
  });

  it('names a file that is not a kubeconfig', () => {
    const bad = tmp.path('bad.yaml');
    writeFileSync(bad, 'clusters: [');
    expect(() => loadKubeconfig({ kubeconfig: bad, env: {} })).toThrow(`${bad}: not a valid kubeconfig`);
  });
});
