/**
 * The install manifests: `deploy/` is what `kcr install` applies (the committed files are the
 * rendered ones, and kustomize renders each kustomization to the same objects as `kcr install
 * --dry-run=client -o yaml` with the matching flags), and every object is valid Kubernetes.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { deployFiles, OVERLAYS } from '../../src/cluster/deploy-files.js';
import { installManifests, type InstallOptions } from '../../src/cluster/manifests.js';
import { REPO_ROOT } from '../../src/testing/built-cli.js';
import { runKcr } from '../../src/testing/cli.js';

const DEPLOY = join(REPO_ROOT, 'deploy');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Objects in a stable order, lists whose order means nothing (env, volumes, mounts) sorted by name. */
function normalise(objects: unknown[]): unknown[] {
  const sortNamed = (value: unknown, key?: string): unknown => {
    if (Array.isArray(value)) {
      const items = value.map((v) => sortNamed(v));
      if (key && ['env', 'volumes', 'volumeMounts'].includes(key))
        return [...items].sort((a, b) =>
          String((a as { name: string }).name).localeCompare(String((b as { name: string }).name)),
        );
      return items;
    }
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sortNamed(v, k)]));
  };
  const id = (o: unknown) => {
    const m = o as { kind: string; metadata: { name: string; namespace?: string } };
    return `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`;
  };
  return objects.map((o) => sortNamed(o)).sort((a, b) => id(a).localeCompare(id(b)));
}

function kustomize(dir: string): unknown[] {
  const text = execFileSync('kubectl', ['kustomize', dir], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return parseAllDocuments(text).map((d) => d.toJS() as unknown);
}

function installFlags(o: InstallOptions): string[] {
  return [
    ...(o.store ? ['--store', o.store] : []),
    ...(o.storeSecret ? ['--store-secret', o.storeSecret] : []),
    ...(o.registrySecret ? ['--registry-secret', o.registrySecret] : []),
  ];
}

async function kcrInstallDryRun(flags: string[]): Promise<unknown[]> {
  const run = await runKcr(['install', ...flags, '--dry-run=client', '-o', 'yaml']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return parseAllDocuments(run.stdout).map((d) => d.toJS() as unknown);
}

describe('deploy/ and kcr install', () => {
  it('deploy/ holds exactly the files rendered from src/cluster/manifests.ts', () => {
    const expected = deployFiles();
    const actual = new Map(filesUnder(DEPLOY).map((p) => [relative(DEPLOY, p), readFileSync(p, 'utf8')]));
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [path, text] of expected) {
      expect(actual.get(path), `deploy/${path} is stale: run npx tsx scripts/render-deploy.ts`).toBe(text);
    }
  });

  it('kustomize renders deploy/base to the objects of kcr install --dry-run=client -o yaml', async () => {
    const printed = await kcrInstallDryRun([]);
    expect(printed.length).toBe(installManifests().length);
    expect(normalise(kustomize(join(DEPLOY, 'base')))).toEqual(normalise(printed));
  });

  it.each(Object.entries(OVERLAYS))(
    'kustomize renders overlay %s to kcr install with its flags',
    async (name, overlay) => {
      const rendered = normalise(kustomize(join(DEPLOY, 'overlays', name)));
      expect(rendered).toEqual(normalise(await kcrInstallDryRun(installFlags(overlay.options))));
      // The overlay really changes something: the store reaches both components.
      const text = JSON.stringify(rendered);
      expect(
        text.match(new RegExp(`--store=${overlay.options.store!.replace(/[/.]/g, '\\$&')}`, 'g'))?.length,
      ).toBe(2);
    },
  );

  it('-o json prints one List of the same objects', async () => {
    const run = await runKcr(['install', '--dry-run', '-o', 'json', '-n', 'backup-system']);
    expect(run.code).toBe(0);
    const list = JSON.parse(run.stdout) as { kind: string; items: { metadata: { namespace?: string } }[] };
    expect(list.kind).toBe('List');
    expect(list.items).toEqual(installManifests({ namespace: 'backup-system' }));
    expect(
      list.items.filter((i) => i.metadata.namespace).every((i) => i.metadata.namespace === 'backup-system'),
    ).toBe(true);
  });

  it('refuses a store URL it cannot use, before printing anything', async () => {
    const run = await runKcr(['install', '--store', 'ftp://x/y', '--dry-run', '-o', 'yaml']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^error: store URL "ftp:\/\/x\/y": unknown scheme "ftp"\nhint: /);
  });
});

describe('least privilege', () => {
  const objects = installManifests();
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);

  it('the agent is neither privileged nor on the host network, and mounts only the kubelet’s two checkpoint directories', () => {
    const ds = byKind('DaemonSet')[0] as unknown as {
      spec: {
        template: {
          spec: {
            hostNetwork: boolean;
            volumes: { hostPath?: { path: string } }[];
            containers: { securityContext: Record<string, unknown> }[];
          };
        };
      };
    };
    const pod = ds.spec.template.spec;
    expect(pod.hostNetwork).toBe(false);
    // The container checkpoints and the KEP-5823 pod checkpoints (whose data the agent removes).
    expect(pod.volumes.filter((v) => v.hostPath).map((v) => v.hostPath!.path)).toEqual([
      '/var/lib/kubelet/checkpoints',
      '/var/lib/kubelet/pod-checkpoints',
    ]);
    expect(pod.containers[0]!.securityContext).toMatchObject({
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('every RBAC rule says why it is needed, and no rule grants a wildcard', () => {
    for (const role of [...byKind('ClusterRole'), ...byKind('Role')]) {
      const rules = role.rules as { verbs: string[]; resources: string[] }[];
      const why = Object.keys(role.metadata.annotations ?? {}).filter((k) => k.startsWith('kcr.dev/why-'));
      expect(why.length, role.metadata.name).toBe(rules.length);
      for (const r of rules) expect([...r.verbs, ...r.resources]).not.toContain('*');
    }
  });

  it('the agent may checkpoint through its kubelet but not proxy to nodes, exec, or read secrets', () => {
    const agent = byKind('ClusterRole').find((r) => r.metadata.name === 'kcr-agent')!;
    const resources = (agent.rules as { resources: string[] }[]).flatMap((r) => r.resources);
    expect(resources).toContain('nodes/checkpoint');
    for (const r of ['nodes/proxy', 'pods/exec', 'secrets']) expect(resources).not.toContain(r);
  });
});
