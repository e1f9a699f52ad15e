/**
 * `kcr checkpoint` end to end against the in-repo test cluster: real TLS, real kubeconfigs, the
 * node proxy, the kubelet endpoint and the exec WebSocket, through the same client code a real
 * cluster gets.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { getEventListeners } from 'node:events';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkpoint } from '../../src/ops/index.js';
import { tempDir } from '../../src/testing/archive-builder.js';
import { FIXTURE_ARCHIVE } from '../../src/testing/kube/kubelet-server.js';
import { startTestCluster, type TestCluster } from '../../src/testing/kube/test-cluster.js';
import { runKcr } from '../../src/testing/cli.js';
import { runCliCaptured } from '../../src/testing/run-cli.js';

const FIXTURE_SHA = createHash('sha256').update(readFileSync(FIXTURE_ARCHIVE)).digest('hex');
let c: TestCluster;
const home = tempDir('kcr-home-');
/** The working directory of every run: without -o, kcr saves each Pod object there. */
const cwd = tempDir('kcr-cwd-');

beforeAll(async () => {
  c = await startTestCluster({ nodes: ['node-1', 'node-2'] });
});
afterAll(async () => {
  await c?.close();
  home.cleanup();
  cwd.cleanup();
});

function kcr(
  argv: string[],
  options: {
    kubeconfig?: string;
    signal?: AbortSignal;
    env?: NodeJS.ProcessEnv;
    serviceAccountDir?: string;
    cwd?: string;
  } = {},
) {
  return runCliCaptured(argv, {
    // KUBERNETES_SERVICE_HOST is cleared so that a CI job running in a pod does not lend its service account.
    env: {
      KUBECONFIG: options.kubeconfig ?? c.kubeconfig,
      HOME: home.dir,
      KUBERNETES_SERVICE_HOST: '',
      ...options.env,
    },
    cwd: options.cwd ?? cwd.dir,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.serviceAccountDir ? { serviceAccountDir: options.serviceAccountDir } : {}),
  });
}

let podCounter = 0;
function newPod(
  options: Parameters<TestCluster['state']['addPod']>[0] extends infer O ? Partial<O> : never = {},
) {
  const name = options.name ?? `web-${++podCounter}`;
  return c.state.addPod({ containers: [{ name: 'web', ports: [8080] }], node: 'node-1', ...options, name });
}

describe('checkpoint through the API server', () => {
  it('checkpoints the only container, prints the archive path on the node, and saves the Pod object here', async () => {
    const pod = newPod();
    const here = tempDir('kcr-here-');
    try {
      const r = await kcr(['checkpoint', pod.metadata.name], { cwd: here.dir });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const [header, row] = r.stdout.trim().split('\n');
      expect(header).toMatch(/^NAMESPACE\s+POD\s+CONTAINER\s+NODE\s+ARCHIVE\s+POD OBJECT$/);
      const archive = `checkpoint-${pod.metadata.name}_default-web-\\S+Z\\.tar`;
      expect(row).toMatch(
        new RegExp(
          `^default\\s+${pod.metadata.name}\\s+web\\s+node-1\\s+/var/lib/kubelet/checkpoints/${archive}\\s+${here.dir}/${archive}\\.pod\\.json$`,
        ),
      );
      // Restore needs the Pod object, and the pod may be gone by then: it is saved here, private.
      const [saved] = readdirSync(here.dir);
      expect(saved).toMatch(new RegExp(`^${archive}\\.pod\\.json$`));
      expect(statSync(here.path(saved!)).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(here.path(saved!), 'utf8'))).toMatchObject({
        kind: 'Pod',
        metadata: { name: pod.metadata.name },
        spec: { nodeName: 'node-1' },
      });
    } finally {
      here.cleanup();
    }
    // The call went through the node proxy, so the kubelet saw the API server's identity.
    expect(
      c.api.requests.some(
        (q) =>
          q.method === 'POST' &&
          q.path === `/api/v1/nodes/node-1/proxy/checkpoint/default/${pod.metadata.name}/web`,
      ),
    ).toBe(true);
    expect(c.kubelets.get('node-1')!.calls.at(-1)).toEqual({
      path: `/checkpoint/default/${pod.metadata.name}/web`,
      user: 'kube-apiserver-kubelet-client',
    });
  });

  it('passes --timeout to the kubelet as ?timeout=SECONDS', async () => {
    const pod = newPod();
    const r = await kcr(['checkpoint', pod.metadata.name, '--timeout', '300']);
    expect(r.code).toBe(0);
    expect(c.kubelets.get('node-1')!.calls.at(-1)?.timeout).toBe('300');
  });

  it('copies the archive with --output-file DIR: sha256 verified, 0600, Pod saved beside it, helper pod removed', async () => {
    const pod = newPod({ labels: { app: 'shop' } });
    const out = tempDir('kcr-out-');
    try {
      // What a kcr killed mid-copy (kill -9) left: the next copy into the directory removes it.
      writeFileSync(out.path('.old.tar.kcr-99999999-0123abcd.tmp'), 'process memory');
      const r = await kcr(['checkpoint', pod.metadata.name, '--output-file', out.dir, '-o', 'json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const [result] = JSON.parse(r.stdout) as {
        local: { path: string; sha256: string; size: number; podJson: string };
      }[];
      expect(result!.local.sha256).toBe(FIXTURE_SHA);
      expect(createHash('sha256').update(readFileSync(result!.local.path)).digest('hex')).toBe(FIXTURE_SHA);
      expect(statSync(result!.local.path).mode & 0o777).toBe(0o600);
      expect(statSync(result!.local.podJson).mode & 0o777).toBe(0o600);
      const saved = JSON.parse(readFileSync(result!.local.podJson, 'utf8')) as {
        kind: string;
        metadata: { name: string; labels: object };
        spec: { nodeName: string };
      };
      expect(saved).toMatchObject({
        kind: 'Pod',
        metadata: { name: pod.metadata.name, labels: { app: 'shop' } },
        spec: { nodeName: 'node-1' },
      });
      // Only the archive and its Pod: no temp files left behind, nor the killed run's.
      expect(readdirSync(out.dir).sort()).toEqual(
        [`${result!.local.path.split('/').at(-1)}`, `${result!.local.podJson.split('/').at(-1)}`].sort(),
      );

      const helper = c.state.createdPods.at(-1)!;
      expect(helper.metadata.name).toMatch(/^kcr-copy-/);
      expect(helper.spec.nodeName).toBe('node-1');
      // A public image that has sh, cat, stat, sha256sum and sleep, fully qualified for CRI-O.
      expect(helper.spec.containers[0]!.image).toBe('docker.io/library/busybox:1.36');
      // Long enough for a slow copy of a big archive (kcr deletes it sooner; this only bounds a crash).
      expect(helper.spec.activeDeadlineSeconds).toBe(6 * 3600);
      expect(helper.spec.containers[0]!.command).toEqual(['sleep', String(6 * 3600)]);
      expect(helper.spec.volumes).toEqual([
        { name: 'checkpoints', hostPath: { path: '/var/lib/kubelet/checkpoints', type: 'Directory' } },
      ]);
      expect(helper.spec.containers[0]!.volumeMounts).toEqual([
        { name: 'checkpoints', mountPath: '/checkpoints', readOnly: true },
      ]);
      expect(c.state.deletedPods).toContain(`default/${helper.metadata.name}`);
      expect(c.state.pods.has(`default/${helper.metadata.name}`)).toBe(false);
      const commands = c.api.execs
        .filter((e) => e.pod === `default/${helper.metadata.name}`)
        .map((e) => e.command[0]);
      expect(commands.sort()).toEqual(['cat', 'sha256sum', 'stat']);
    } finally {
      out.cleanup();
    }
  });

  it('draws a status line while the kubelet works and a copy progress bar on a terminal, and none with -q', async () => {
    const pod = newPod();
    const out = tempDir('kcr-out-');
    const env = { KUBECONFIG: c.kubeconfig, HOME: home.dir, PATH: process.env.PATH };
    try {
      const shown = await runKcr(['checkpoint', pod.metadata.name, '--output-file', out.dir], {
        env,
        tty: true,
        cwd: cwd.dir,
      });
      expect(shown.code).toBe(0);
      expect(shown.stderr).toContain(
        `\r\x1b[Kcheckpointing default/${pod.metadata.name}/web on node-1: waiting for the kubelet\r\x1b[K`,
      );
      expect(shown.stderr).toMatch(
        new RegExp(
          `copying +default/${pod.metadata.name}/web \\[=* *\\] +\\d+% [\\d.]+ (B|KiB|MiB)/3\\.29 MiB`,
        ),
      );
      const quiet = await runKcr(
        ['-q', 'checkpoint', pod.metadata.name, '--output-file', out.path('q.tar')],
        {
          env,
          cwd: cwd.dir,
          tty: true,
        },
      );
      expect(quiet.code).toBe(0);
      expect(quiet.stderr).toBe('');
    } finally {
      out.cleanup();
    }
  });

  it('writes exactly the file named by --output-file ARCHIVE', async () => {
    const pod = newPod();
    const out = tempDir('kcr-out-');
    try {
      const r = await kcr(['checkpoint', pod.metadata.name, '--output-file', out.path('mine.tar')]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/LOCAL COPY/);
      expect(readdirSync(out.dir).sort()).toEqual(['mine.tar', 'mine.tar.pod.json']);
    } finally {
      out.cleanup();
    }
  });

  it('refuses --output-file into a directory that does not exist before checkpointing', async () => {
    const pod = newPod();
    const calls = c.kubelets.get('node-1')!.calls.length;
    const r = await kcr(['checkpoint', pod.metadata.name, '--output-file', '/nonexistent/dir/web.tar']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'error: --output-file /nonexistent/dir/web.tar: the directory /nonexistent/dir does not exist',
    );
    expect(c.kubelets.get('node-1')!.calls.length).toBe(calls);
  });

  it('falls back to v4.channel.k8s.io when the API server does not speak v5, with the --helper-image given', async () => {
    const pod = newPod();
    const out = tempDir('kcr-out-');
    c.api.execProtocols = ['v4.channel.k8s.io'];
    try {
      const mirror = 'registry.example.com/mirror/busybox:1.36';
      const r = await kcr([
        'checkpoint',
        pod.metadata.name,
        '--output-file',
        out.dir + '/',
        '--helper-image',
        mirror,
      ]);
      expect(r.code).toBe(0);
      expect(c.state.createdPods.at(-1)!.spec.containers[0]!.image).toBe(mirror);
      const helper = c.state.createdPods.at(-1)!.metadata.name;
      const used = c.api.execs.filter((e) => e.pod === `default/${helper}`).map((e) => e.protocol);
      expect(new Set(used)).toEqual(new Set(['v4.channel.k8s.io']));
    } finally {
      c.api.execProtocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
      out.cleanup();
    }
  });

  it('works with a bearer-token kubeconfig holding only the RBAC kcr needs', async () => {
    const pod = newPod({ namespace: 'team' });
    const kubeconfig = await c.kubeconfigFor({
      user: 'ci-bot',
      auth: 'token',
      namespace: 'team',
      rules: [
        { verbs: ['create'], resources: ['nodes/proxy'] },
        { verbs: ['get', 'create', 'delete'], resources: ['pods'], namespaces: ['team'] },
        { verbs: ['create'], resources: ['pods/exec'], namespaces: ['team'] },
      ],
    });
    const out = tempDir('kcr-out-');
    try {
      const r = await kcr(['checkpoint', pod.metadata.name, '--output-file', out.dir], { kubeconfig });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(c.api.requests.filter((q) => q.user === 'ci-bot').length).toBeGreaterThan(3);
    } finally {
      out.cleanup();
    }
  });
});

describe('in a pod, with only a service account', () => {
  it("uses the pod's service account and namespace when KUBERNETES_SERVICE_HOST is set", async () => {
    const pod = newPod({ namespace: 'jobs' });
    const sa = tempDir('kcr-sa-');
    try {
      const user = 'system:serviceaccount:jobs:kcr';
      c.state.addUser(
        user,
        [],
        [
          { verbs: ['create'], resources: ['nodes/proxy'] },
          { verbs: ['get'], resources: ['pods'], namespaces: ['jobs'] },
        ],
      );
      c.state.tokens.set('sa-token-jobs', user);
      writeFileSync(sa.path('token'), 'sa-token-jobs');
      writeFileSync(sa.path('namespace'), 'jobs');
      copyFileSync(c.pki.ca.certFile, sa.path('ca.crt'));
      const port = new URL(c.api.url).port;
      const r = await kcr(['checkpoint', pod.metadata.name], {
        env: {
          KUBECONFIG: '',
          HOME: sa.path('nohome'),
          KUBERNETES_SERVICE_HOST: '127.0.0.1',
          KUBERNETES_SERVICE_PORT: port,
        },
        serviceAccountDir: sa.dir,
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`checkpoint-${pod.metadata.name}_jobs-web-`);
      expect(c.api.requests.some((q) => q.user === user && q.method === 'POST')).toBe(true);
    } finally {
      sa.cleanup();
    }
  });
});

describe('choosing containers', () => {
  const twoContainers = [{ name: 'app' }, { name: 'sidecar' }];

  it('asks for -c when a pod has several containers and no default', async () => {
    const pod = newPod({ containers: twoContainers });
    const r = await kcr(['checkpoint', pod.metadata.name]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: pod default/${pod.metadata.name} has 2 containers (app, sidecar)`);
    expect(r.stderr).toContain('hint: choose one with -c CONTAINER, or use --all-containers');
  });

  it('follows the kubectl.kubernetes.io/default-container annotation', async () => {
    const pod = newPod({
      containers: twoContainers,
      annotations: { 'kubectl.kubernetes.io/default-container': 'sidecar' },
    });
    const r = await kcr(['checkpoint', pod.metadata.name]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\ssidecar\s/);
  });

  it('names the containers there are when -c names none of them', async () => {
    const pod = newPod({ containers: twoContainers });
    const r = await kcr(['checkpoint', pod.metadata.name, '-c', 'db']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: container "db" not found in pod default/${pod.metadata.name}`);
    expect(r.stderr).toContain('hint: its containers: app, sidecar');
  });

  it('checkpoints every container with --all-containers', async () => {
    const pod = newPod({ containers: twoContainers });
    const r = await kcr(['checkpoint', pod.metadata.name, '--all-containers', '-o', 'json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { container: string }[]).map((o) => o.container)).toEqual([
      'app',
      'sidecar',
    ]);
  });

  it('refuses a pod that is not running', async () => {
    const pod = newPod({ phase: 'Pending' });
    const r = await kcr(['checkpoint', pod.metadata.name]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `error: container default/${pod.metadata.name}/web is not running (ContainerCreating)`,
    );
  });

  it('says which pod is missing', async () => {
    const r = await kcr(['checkpoint', 'nope', '-n', 'shop']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: pod shop/nope: pods "nope" not found');
  });
});

describe('a selector', () => {
  it('checkpoints 50 pods with at most --parallel 8 in flight', async () => {
    for (let i = 0; i < 50; i++)
      newPod({ name: `batch-${i}`, labels: { app: 'batch' }, containers: [{ name: 'worker' }] });
    const kubelet = c.kubelets.get('node-1')!;
    kubelet.maxInFlight = 0;
    // Hold each call until 8 are waiting (or all that remain), so the bound is reached and visible.
    let waiting: (() => void)[] = [];
    let started = 0;
    kubelet.gate = () =>
      new Promise<void>((resolve) => {
        waiting.push(resolve);
        started++;
        if (waiting.length === 8 || started === 50) {
          const release = waiting;
          waiting = [];
          release.forEach((r) => r());
        }
      });
    try {
      const r = await kcr(['checkpoint', '-l', 'app=batch', '--parallel', '8', '-o', 'json']);
      expect(r.code).toBe(0);
      const outcomes = JSON.parse(r.stdout) as { pod: string; archive: string }[];
      expect(outcomes).toHaveLength(50);
      expect(new Set(outcomes.map((o) => o.pod)).size).toBe(50);
      expect(kubelet.maxInFlight).toBe(8);
    } finally {
      kubelet.gate = undefined;
    }
  });

  it("leaves no listener on the caller's signal once done", async () => {
    for (let i = 0; i < 3; i++) newPod({ name: `listen-${i}`, labels: { app: 'listen' } });
    const controller = new AbortController();
    for (let run = 0; run < 3; run++) {
      const outcomes = await checkpoint({
        kubeconfig: c.kubeconfig,
        env: {},
        selector: 'app=listen',
        signal: controller.signal,
      });
      expect(outcomes.filter((o) => o.archive)).toHaveLength(3);
    }
    expect(getEventListeners(controller.signal, 'abort')).toEqual([]);
  });

  it('reports each failed pod and still checkpoints the rest', async () => {
    newPod({ name: 'mixed-ok', labels: { app: 'mixed' } });
    newPod({ name: 'mixed-pending', labels: { app: 'mixed' }, phase: 'Pending' });
    const r = await kcr(['checkpoint', '-l', 'app=mixed']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/mixed-ok/);
    expect(r.stdout).not.toMatch(/mixed-pending/);
    expect(r.stderr).toContain('error: container default/mixed-pending/web is not running');
  });

  it('says when no pod matches', async () => {
    const r = await kcr(['checkpoint', '-l', 'app=nothing']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: no pods in namespace default match -l app=nothing');
  });
});

describe('cancelling a copy', () => {
  let release: (() => void) | undefined;
  afterEach(() => {
    release?.();
    c.api.execHooks.afterFirstChunk = undefined;
    c.api.execHooks.fail = undefined;
  });

  it('stops the cat when sha256sum fails on the node, reports that failure, and leaves no file', async () => {
    const pod = newPod();
    const out = tempDir('kcr-out-');
    // cat sends one chunk, then waits for its client to go away: only an aborted copy lets it end.
    let catStreaming!: () => void;
    const catStarted = new Promise<void>((resolve) => (catStreaming = resolve));
    c.api.execHooks.afterFirstChunk = (record) => {
      catStreaming();
      return record.closed;
    };
    // sha256sum fails while cat streams (on a loaded machine it could otherwise fail before cat even starts).
    c.api.execHooks.fail = async (record) => {
      if (record.command[0] !== 'sha256sum') return undefined;
      await catStarted;
      return { exitCode: 1, stderr: 'sha256sum: /checkpoints/x.tar: Input/output error\n' };
    };
    try {
      const r = await kcr(['checkpoint', pod.metadata.name, '--output-file', out.dir]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('Input/output error');
      expect(r.stderr).not.toContain('cancelled');
      const helper = c.state.createdPods.at(-1)!.metadata.name;
      const cat = c.api.execs.find((e) => e.pod === `default/${helper}` && e.command[0] === 'cat')!;
      await cat.closed; // never settles if the copy left the cat running
      expect(c.state.deletedPods).toContain(`default/${helper}`);
      expect(readdirSync(out.dir)).toEqual([]);
    } finally {
      out.cleanup();
    }
  });

  it('removes the helper pod and leaves no partial file when Ctrl-C arrives mid-copy', async () => {
    const pod = newPod();
    const out = tempDir('kcr-out-');
    let streaming!: () => void;
    const copyStarted = new Promise<void>((resolve) => (streaming = resolve));
    c.api.execHooks.afterFirstChunk = () => {
      streaming();
      return new Promise<void>((resolve) => (release = resolve));
    };
    const controller = new AbortController();
    try {
      const run = kcr(['checkpoint', pod.metadata.name, '--output-file', out.dir], {
        signal: controller.signal,
      });
      await copyStarted;
      controller.abort();
      const r = await run;
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/cancelled/);
      const helper = c.state.createdPods.at(-1)!.metadata.name;
      expect(helper).toMatch(/^kcr-copy-/);
      expect(c.state.deletedPods).toContain(`default/${helper}`);
      expect(c.state.pods.has(`default/${helper}`)).toBe(false);
      expect(readdirSync(out.dir)).toEqual([]);
    } finally {
      out.cleanup();
    }
  });
});

describe('direct kubelet access', () => {
  let cert: { certFile: string; keyFile: string };
  beforeEach(async () => {
    cert ??= await c.pki.client('node-admin');
    c.state.nodes.get('node-1')!.checkpointUsers.add('node-admin');
  });
  const kubeletUrl = () => `https://127.0.0.1:${c.state.nodes.get('node-1')!.kubeletPort}`;
  const clientCert = () => ['--client-cert', cert.certFile, '--client-key', cert.keyFile];
  const trustKubelet = () => ['--ca-cert', c.pki.ca.certFile];

  it('checkpoints with a client certificate and a verified kubelet certificate', async () => {
    const pod = newPod();
    const r = await kcr([
      'checkpoint',
      pod.metadata.name,
      '--kubelet-url',
      kubeletUrl(),
      ...clientCert(),
      ...trustKubelet(),
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(c.kubelets.get('node-1')!.calls.at(-1)?.user).toBe('node-admin');
  });

  it("finds the kubelet from the node's address with --via kubelet", async () => {
    const pod = newPod();
    const r = await kcr([
      'checkpoint',
      pod.metadata.name,
      '--via',
      'kubelet',
      ...clientCert(),
      ...trustKubelet(),
    ]);
    expect(r.code).toBe(0);
    expect(c.kubelets.get('node-1')!.calls.at(-1)?.user).toBe('node-admin');
  });

  it("works on a node without a kubeconfig, finding the pod in the kubelet's /pods", async () => {
    const pod = newPod({ namespace: 'edge' });
    const r = await kcr(
      [
        'checkpoint',
        pod.metadata.name,
        '-n',
        'edge',
        '--kubelet-url',
        kubeletUrl(),
        ...clientCert(),
        ...trustKubelet(),
      ],
      { env: { KUBECONFIG: '' } },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`checkpoint-${pod.metadata.name}_edge-web-`);
  });

  it("reads a kubelet's /pods list larger than 4 MiB whole", async () => {
    // A node full of pods with big annotations (last-applied configurations) answers with many MiB.
    newPod({
      namespace: 'big',
      name: 'bulky',
      annotations: { 'example.com/blob': 'x'.repeat(5 * 1024 * 1024) },
    });
    try {
      const pod = newPod({ namespace: 'big' });
      const r = await kcr(
        [
          'checkpoint',
          pod.metadata.name,
          '-n',
          'big',
          '--kubelet-url',
          kubeletUrl(),
          ...clientCert(),
          ...trustKubelet(),
        ],
        { env: { KUBECONFIG: '' } },
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    } finally {
      c.state.pods.delete('big/bulky');
    }
  });

  it("says the kubelet certificate is not trusted when listing the kubelet's pods without --ca-cert", async () => {
    const pod = newPod({ namespace: 'edge' });
    const argv = ['checkpoint', pod.metadata.name, '-n', 'edge', '--kubelet-url', kubeletUrl()];
    const r = await kcr([...argv, '--client-cert', cert.certFile, '--client-key', cert.keyFile], {
      env: { KUBECONFIG: '' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: https:\/\/127\.0\.0\.1:\d+: TLS certificate not trusted/);
    expect(r.stderr).toContain('pass its CA with --ca-cert');
  });

  it('copies locally when the archive is on this machine (kcr running on the node)', async () => {
    const local = tempDir('kcr-local-node-');
    const out = tempDir('kcr-out-');
    writeFileSync(out.path('.old.tar.kcr-99999999-0123abcd.tmp'), 'process memory');
    try {
      const kubelet = await c.addNode('this-node', { root: '/', kubeletRootDir: local.path('kubelet') });
      kubelet.node.checkpointUsers.add('node-admin');
      const pod = newPod({ node: 'this-node' });
      const url = `https://127.0.0.1:${kubelet.node.kubeletPort}`;
      const r = await kcr(
        [
          'checkpoint',
          pod.metadata.name,
          '--kubelet-url',
          url,
          ...clientCert(),
          ...trustKubelet(),
          '--output-file',
          out.dir,
          '-o',
          'json',
        ],
        { env: { KUBECONFIG: '' } },
      );
      expect(r.stderr).toBe('');
      const [result] = JSON.parse(r.stdout) as { archive: string; local: { sha256: string } }[];
      expect(result!.local.sha256).toBe(FIXTURE_SHA);
      expect(result!.archive.startsWith(local.dir)).toBe(true);
      expect(readdirSync(out.dir).filter((n) => n.includes('.kcr-'))).toEqual([]);

      // Without -o, the Pod object is saved beside the archive on the node, for a later restore there.
      const direct = ['--kubelet-url', url, '--client-cert', cert.certFile, '--client-key', cert.keyFile];
      const again = await kcr(
        ['checkpoint', pod.metadata.name, ...direct, '--ca-cert', c.pki.ca.certFile, '-o', 'json'],
        {
          env: { KUBECONFIG: '' },
        },
      );
      const [onNode] = JSON.parse(again.stdout) as { archive: string }[];
      expect(statSync(`${onNode!.archive}.pod.json`).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(`${onNode!.archive}.pod.json`, 'utf8'))).toMatchObject({
        kind: 'Pod',
        metadata: { name: pod.metadata.name },
      });
    } finally {
      out.cleanup();
      local.cleanup();
    }
  });

  it('says the kubelet certificate is not trusted without --ca-cert, and --insecure skips the check', async () => {
    const pod = newPod();
    const base = ['checkpoint', pod.metadata.name, '--kubelet-url', kubeletUrl(), ...clientCert()];
    const r = await kcr(base);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /error: checkpoint default\/web-\d+\/web: https:\/\/127\.0\.0\.1:\d+: TLS certificate not trusted/,
    );
    expect(r.stderr).toContain(
      "hint: the kubelet's serving certificate is not trusted: pass its CA with --ca-cert",
    );
    const insecure = await kcr([...base, '--insecure']);
    expect(insecure.code).toBe(0);
  });

  it("suggests the node's hostname when the kubelet's certificate does not name its address", async () => {
    // As a self-signed kubelet certificate: issued for the hostname only, while kcr dials the InternalIP.
    const kubelet = await c.addNode('host-cert', { servingNames: ['DNS:host-cert'] });
    kubelet.node.checkpointUsers.add('node-admin');
    const pod = newPod({ node: 'host-cert' });
    const r = await kcr([
      'checkpoint',
      pod.metadata.name,
      '--via',
      'kubelet',
      ...clientCert(),
      ...trustKubelet(),
    ]);
    expect(r.code).toBe(2);
    const port = kubelet.node.kubeletPort;
    expect(r.stderr).toContain(
      `https://127.0.0.1:${port}: TLS certificate not trusted (err_tls_cert_altname_invalid)`,
    );
    expect(r.stderr).toContain(
      `hint: the kubelet's serving certificate is not issued for 127.0.0.1: kubelet certificates name the node's hostname, so pass --kubelet-url https://<node hostname>:${port} (often https://host-cert:${port})`,
    );
  });

  it('explains 401 without a client certificate', async () => {
    const pod = newPod();
    const r = await kcr(['checkpoint', pod.metadata.name, '--kubelet-url', kubeletUrl(), ...trustKubelet()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unauthorized by the kubelet');
    expect(r.stderr).toContain('--client-cert/--client-key');
  });

  it('names the missing nodes/checkpoint rule on 403', async () => {
    const intruder = await c.pki.client('intruder');
    const pod = newPod();
    const r = await kcr([
      'checkpoint',
      pod.metadata.name,
      '--kubelet-url',
      kubeletUrl(),
      '--client-cert',
      intruder.certFile,
      '--client-key',
      intruder.keyFile,
      ...trustKubelet(),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'Forbidden (user=intruder, verb=create, resource=nodes, subresource(s)=[checkpoint])',
    );
    expect(r.stderr).toContain(
      'hint: the kubelet needs RBAC `create` on `nodes/checkpoint` for user "intruder"',
    );
  });

  it('refuses one --kubelet-url for pods on several nodes', async () => {
    newPod({ name: 'spread-1', labels: { app: 'spread' }, node: 'node-1' });
    newPod({ name: 'spread-2', labels: { app: 'spread' }, node: 'node-2' });
    const r = await kcr(['checkpoint', '-l', 'app=spread', '--kubelet-url', kubeletUrl(), ...clientCert()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--kubelet-url names one kubelet, but the pods run on 2 nodes');
  });
});

describe('errors become hints', () => {
  const node = () => c.state.nodes.get('node-1')!;
  afterEach(() => {
    node().failures = [];
    node().checkpointRoute = true;
  });

  it.each([
    [
      'cri-v1-only',
      'CheckpointContainer is only supported in the CRI v1 runtime API',
      'use CRI-O >= 1.25 or containerd >= 2.0',
    ],
    ['no-criu', 'checkpoint/restore support not available', 'enable_criu_support = true'],
    [
      'tcp-established',
      'Connected TCP socket, consider using --tcp-established option',
      '`tcp-established` to /etc/criu/runc.conf',
    ],
    ['deadline', 'DeadlineExceeded', 'retry with --timeout 300'],
    ['runtime-not-found', 'could not find container', 'the container is not running'],
  ] as const)('kubelet 500 %s', async (failure, message, hint) => {
    const pod = newPod();
    node().failures.push(failure);
    const r = await kcr(['checkpoint', pod.metadata.name]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: checkpoint default/${pod.metadata.name}/web: checkpointing of default/${pod.metadata.name}/web failed \\(`,
      ),
    );
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain(hint);
    expect(r.stderr.trim().split('\n')).toHaveLength(2);
  });

  it('explains a 404 from a kubelet without the checkpoint endpoint (gate off)', async () => {
    const pod = newPod();
    node().checkpointRoute = false;
    const r = await kcr(['checkpoint', pod.metadata.name]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the kubelet has no checkpoint endpoint (404 page not found)');
    expect(r.stderr).toContain('enable the ContainerCheckpoint feature gate');
  });

  it.each([
    ['pod does not exist', 'it may have been rescheduled'],
    ['container web does not exist', "list the pod's containers"],
  ])('explains the kubelet\'s 404 "%s"', async (body, hint) => {
    const pod = newPod();
    node().failures.push({ status: 404, body });
    const r = await kcr(['checkpoint', pod.metadata.name]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(body);
    expect(r.stderr).toContain(hint);
  });

  it('names the nodes/proxy rule when the API server forbids the proxy', async () => {
    const pod = newPod();
    const kubeconfig = await c.kubeconfigFor({
      user: 'viewer',
      rules: [{ verbs: ['get'], resources: ['pods'] }],
    });
    const r = await kcr(['checkpoint', pod.metadata.name], { kubeconfig });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'nodes "node-1" is forbidden: User "viewer" cannot create resource "nodes/proxy" in API group "" at the cluster scope',
    );
    expect(r.stderr).toContain('needs RBAC `create` on `nodes/proxy`');
  });

  it("says the API server's own kubelet identity lacks nodes/checkpoint", async () => {
    const pod = newPod();
    c.api.useKubeletIdentity(await c.pki.client('apiserver-weak'));
    try {
      const r = await kcr(['checkpoint', pod.metadata.name]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        'Forbidden (user=apiserver-weak, verb=create, resource=nodes, subresource(s)=[checkpoint])',
      );
      expect(r.stderr).toContain('for user "apiserver-weak"');
    } finally {
      c.api.useKubeletIdentity(c.kubeletClient);
    }
  });

  it('says when the node cannot pull the helper image, and removes the helper pod', async () => {
    const pod = newPod();
    const out = tempDir('kcr-out-');
    c.state.podFate = (p) =>
      p.metadata.name.startsWith('kcr-copy-')
        ? {
            kind: 'waiting',
            reason: 'ImagePullBackOff',
            message: 'Back-off pulling image "docker.io/library/busybox:1.36"',
          }
        : { kind: 'running' };
    try {
      const r = await kcr(['checkpoint', pod.metadata.name, '--output-file', out.dir]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /error: helper pod default\/kcr-copy-\w+ on node-1: ImagePullBackOff: Back-off pulling image/,
      );
      expect(r.stderr).toContain(
        'pass --helper-image with an image it can pull that has sleep, stat, sha256sum and cat',
      );
      const helper = c.state.createdPods.at(-1)!.metadata.name;
      expect(c.state.deletedPods).toContain(`default/${helper}`);
    } finally {
      c.state.podFate = () => ({ kind: 'running' });
      out.cleanup();
    }
  });

  it('names pods/exec when the copy may not exec, and still removes the helper pod', async () => {
    const pod = newPod();
    const kubeconfig = await c.kubeconfigFor({
      user: 'no-exec',
      rules: [
        { verbs: ['create'], resources: ['nodes/proxy'] },
        { verbs: ['get', 'create', 'delete'], resources: ['pods'] },
      ],
    });
    const out = tempDir('kcr-out-');
    try {
      const r = await kcr(['checkpoint', pod.metadata.name, '--output-file', out.dir], { kubeconfig });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /cannot create resource "pods\/exec" in API group "" in the namespace "default"/,
      );
      expect(r.stderr).toContain('hint: needs RBAC `create` on `pods/exec`');
      const helper = c.state.createdPods.at(-1)!.metadata.name;
      expect(c.state.deletedPods).toContain(`default/${helper}`);
      expect(readdirSync(out.dir)).toEqual([]);
    } finally {
      out.cleanup();
    }
  });

  it('says the API server rejected the credentials on 401', async () => {
    const kubeconfig = await c.kubeconfigFor({ user: 'expired', auth: 'token' });
    c.state.tokens.clear();
    const r = await kcr(['checkpoint', 'anything'], { kubeconfig });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: pod default/anything: unauthorized');
    expect(r.stderr).toContain('refresh the token');
  });

  it('rejects a malformed --timeout before calling anyone', async () => {
    // `2m` and `120` are both two minutes, as kubectl reads a timeout; `2 minutes` is neither.
    const r = await kcr(['checkpoint', 'web', '--timeout', '2 minutes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--timeout takes a duration (90s, 5m) or seconds above 0');
  });

  it('names a missing kubeconfig file', async () => {
    const r = await kcr(['checkpoint', 'web', '--kubeconfig', '/nonexistent/kubeconfig']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: /nonexistent/kubeconfig: no such kubeconfig file');
    expect(existsSync('/nonexistent/kubeconfig')).toBe(false);
  });
});
