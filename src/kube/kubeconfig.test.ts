import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { tempDir } from '../testing/archive-builder.js';
import { hasKubeconfig, loadKubeconfig } from './kubeconfig.js';
import { KcrError } from '../errors.js';

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

  it('says an empty kubeconfig is one, in words rather than a TypeError', () => {
    const empty = tmp.path('empty.yaml');
    writeFileSync(empty, '');
    let thrown: unknown;
    try {
      loadKubeconfig({ kubeconfig: empty, env: {} });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(KcrError);
    expect((thrown as KcrError).message).toBe(
      `${empty}: not a valid kubeconfig: it is empty, or not a YAML mapping of clusters, users and contexts`,
    );
    expect((thrown as KcrError).hint).toMatch(/--kubeconfig/);
  });
});

describe('in a pod (the service account)', () => {
  const sa = tmp.path('serviceaccount');
  mkdirSync(sa);
  writeFileSync(`${sa}/token`, 'sa-token');
  writeFileSync(`${sa}/ca.crt`, '');
  writeFileSync(`${sa}/namespace`, 'jobs\n');
  const inPod = {
    KUBERNETES_SERVICE_HOST: '10.96.0.1',
    KUBERNETES_SERVICE_PORT: '443',
    HOME: tmp.path('nohome'),
  };

  it('uses the service account when KUBERNETES_SERVICE_HOST is set and the token is mounted', () => {
    const loaded = loadKubeconfig({ env: inPod, serviceAccountDir: sa });
    expect(loaded).toMatchObject({ server: 'https://10.96.0.1:443', namespace: 'jobs' });
    expect(hasKubeconfig({ env: inPod, serviceAccountDir: sa })).toBe(true);
  });

  it('brackets an IPv6 service address', () => {
    const loaded = loadKubeconfig({
      env: { ...inPod, KUBERNETES_SERVICE_HOST: 'fd00::1' },
      serviceAccountDir: sa,
    });
    expect(loaded.server).toBe('https://[fd00::1]:443');
  });

  it('ignores a mounted token outside a pod (no KUBERNETES_SERVICE_HOST)', () => {
    const env = { HOME: tmp.path('nohome') };
    expect(hasKubeconfig({ env, serviceAccountDir: sa })).toBe(false);
    expect(() => loadKubeconfig({ env, serviceAccountDir: sa })).toThrow('no kubeconfig found');
  });

  it('ignores KUBERNETES_SERVICE_HOST without a token', () => {
    const env = { ...inPod };
    expect(() => loadKubeconfig({ env, serviceAccountDir: tmp.path('no-sa') })).toThrow(
      'no kubeconfig found',
    );
  });

  it('lets KUBECONFIG beat the service account, as kubectl does', () => {
    const a = kubeconfig('in-pod.yaml', [{ name: 'ops', server: 'https://ops:6443' }], 'ops');
    expect(loadKubeconfig({ env: { ...inPod, KUBECONFIG: a }, serviceAccountDir: sa }).server).toBe(
      'https://ops:6443',
    );
  });
});
