/**
 * Starts the test cluster: a CA, the API server, one kubelet per node, and kubeconfig files
 * (client certificate or bearer token) that kcr loads exactly as it loads a real one.
 * `close()` stops every server and removes every file.
 *
 * For controllers: every resource (pods, nodes, leases, CRDs and what they define) can be listed
 * and watched with resourceVersions (`api.sendBookmarks()`, `state.bookmarkIntervalMs`),
 * `api.expireHistory()` makes resuming watches get 410 Expired, `api.restart()` cuts every
 * connection and comes back on the same URL with the same state, and `state.history` holds
 * every write. `raw-client.ts` reads exact statuses, bodies and watch streams.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { FakeApiServer } from './api-server.js';
import { ClusterState, type FakeNode, type Rule } from './cluster-state.js';
import { FakeKubelet } from './kubelet-server.js';
import { PodCheckpointer } from './pod-checkpoints.js';
import { TestPki, type Pem } from '../pki.js';

export interface KubeconfigUser {
  user: string;
  groups?: string[];
  rules?: Rule[];
  auth?: 'cert' | 'token';
  namespace?: string;
}

export type NodeOptions = Partial<Omit<FakeNode, 'name'>> & { servingNames?: string[] };

export interface TestCluster {
  dir: string;
  state: ClusterState;
  api: FakeApiServer;
  kubelets: Map<string, FakeKubelet>;
  pki: TestPki;
  /** An admin kubeconfig (client certificate in system:masters). */
  kubeconfig: string;
  /** The kubeadm-style apiserver-kubelet-client certificate, for direct kubelet calls. */
  kubeletClient: Pem;
  /** `servingNames`: the kubelet certificate's subjectAltNames (default localhost and 127.0.0.1). */
  addNode(name: string, options?: NodeOptions): Promise<FakeKubelet>;
  kubeconfigFor(user: KubeconfigUser): Promise<string>;
  /**
   * Serves node.k8s.io/v1alpha1 podcheckpoints (KEP-5823), as the PodLevelCheckpointRestore gate
   * and runtime-config do, with the kubelets taking them (pod-checkpoints.ts).
   */
  enablePodCheckpoints(): PodCheckpointer;
  close(): Promise<void>;
}

export async function startTestCluster(
  options: { nodes?: string[]; podCheckpoints?: boolean } = {},
): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'kcr-cluster-'));
  const state = new ClusterState(dir);
  const kubelets = new Map<string, FakeKubelet>();
  try {
    const pki = await TestPki.create(dir);
    const [serving, kubeletClient, admin] = await Promise.all([
      pki.server('kube-apiserver'),
      pki.client('kube-apiserver-kubelet-client', ['system:masters']),
      pki.client('kubernetes-admin', ['system:masters']),
    ]);
    const api = new FakeApiServer({ state, serving, ca: pki.ca.cert, kubeletClient });
    const server = await api.start();
    let counter = 0;

    const writeKubeconfig = async (u: KubeconfigUser, credentials: Record<string, string>) => {
      const file = join(dir, `kubeconfig-${u.user.replace(/[^\w-]/g, '_')}-${++counter}.yaml`);
      const config = {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'test', cluster: { server, 'certificate-authority': pki.ca.certFile } }],
        users: [{ name: u.user, user: credentials }],
        contexts: [
          {
            name: 'test',
            context: { cluster: 'test', user: u.user, ...(u.namespace ? { namespace: u.namespace } : {}) },
          },
        ],
        'current-context': 'test',
      };
      await writeFile(file, stringify(config), { mode: 0o600 });
      return file;
    };

    const cluster: TestCluster = {
      dir,
      state,
      api,
      kubelets,
      pki,
      kubeletClient,
      kubeconfig: await writeKubeconfig(
        { user: 'kubernetes-admin' },
        { 'client-certificate': admin.certFile, 'client-key': admin.keyFile },
      ),
      async addNode(name, { servingNames, ...nodeOptions } = {}) {
        const node = state.addNode(name, nodeOptions);
        const serving = await pki.server(`kubelet-${name}`.slice(0, 64) /* CN: 64 at most */, servingNames);
        const kubelet = new FakeKubelet(state, node, serving, pki.ca.cert);
        await kubelet.start();
        kubelets.set(name, kubelet);
        return kubelet;
      },
      async kubeconfigFor(u) {
        state.addUser(u.user, u.groups ?? [], u.rules ?? []);
        if (u.auth === 'token') {
          const token = randomBytes(24).toString('base64url');
          state.tokens.set(token, u.user);
          return writeKubeconfig(u, { token });
        }
        const pem = await pki.client(u.user, u.groups ?? []);
        return writeKubeconfig(u, { 'client-certificate': pem.certFile, 'client-key': pem.keyFile });
      },
      enablePodCheckpoints() {
        state.podCheckpoints ??= new PodCheckpointer(state, kubelets);
        return state.podCheckpoints;
      },
      async close() {
        await state.podCheckpoints?.idle();
        await api.close();
        await Promise.all([...kubelets.values()].map((k) => k.close()));
        await rm(dir, { recursive: true, force: true });
      },
    };
    for (const name of options.nodes ?? ['node-1']) await cluster.addNode(name);
    if (options.podCheckpoints) cluster.enablePodCheckpoints();
    return cluster;
  } catch (err) {
    await Promise.all([...kubelets.values()].map((k) => k.close()));
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
