/**
 * kcr installed in the test cluster: its CRDs created through the API, node agents with their own
 * service-account identities (bearer tokens, the RBAC rules `kcr install` grants them, the
 * kubelets authorizing them for nodes/checkpoint), and controllers likewise. Tests start what
 * they need and `stopAll()` ends it.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { KubeConfig } from '@kubernetes/client-node';
import { NodeAgent, type AgentOptions } from '../cluster/agent.js';
import { KcrApi } from '../cluster/kcr-api.js';
import { Controller, type ControllerOptions } from '../cluster/controller.js';
import { customResourceDefinitions } from '../cluster/crds.js';
import { AGENT_RULES, CONTROLLER_RULES } from '../cluster/manifests.js';
import { DirectKubelet, loadKubeconfig } from '../kube/index.js';
import { fixture } from './fixtures.js';
import { startTestCluster, type TestCluster } from './kube/test-cluster.js';
import { RawClient } from './kube/raw-client.js';

/** A small real CRI-O archive (200 KiB) for the kubelets to write: tests stay fast. */
export const SMALL_ARCHIVE = fixture('crio', 'checkpoint-cthreads_apps-server-2026-11-28T16:04:20Z.tar');

export const AGENT_USER = 'system:serviceaccount:kcr-system:kcr-agent';
export const CONTROLLER_USER = 'system:serviceaccount:kcr-system:kcr-controller';

export interface KcrInCluster {
  admin: KubeConfig;
  raw: RawClient;
  agentKubeconfig: string;
  controllerKubeconfig: string;
  /** The agent service account's token, as a file (what a Pod has mounted). */
  agentTokenFile: string;
  startAgent(node: string, options?: Partial<AgentOptions>): Promise<NodeAgent>;
  startController(identity: string, options?: Partial<ControllerOptions>): Promise<Controller>;
  stopAll(): Promise<void>;
}

export async function installKcr(cluster: TestCluster): Promise<KcrInCluster> {
  const raw = await RawClient.fromKubeconfig(cluster.kubeconfig);
  for (const crd of customResourceDefinitions({})) {
    const res = await raw.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    if (res.status !== 201)
      throw new Error(`creating ${crd.metadata.name}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const leaseRules = [
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
  ];
  const agentKubeconfig = await cluster.kubeconfigFor({
    user: AGENT_USER,
    auth: 'token',
    rules: AGENT_RULES,
  });
  const controllerKubeconfig = await cluster.kubeconfigFor({
    user: CONTROLLER_USER,
    auth: 'token',
    rules: [...CONTROLLER_RULES, ...leaseRules],
  });
  const token = (parse(await readFile(agentKubeconfig, 'utf8')) as { users: { user: { token: string } }[] })
    .users[0]!.user.token;
  const tokenDir = await mkdtemp(join(cluster.dir, 'agent-token-'));
  const tokenFile = join(tokenDir, 'token');
  await writeFile(tokenFile, token, { mode: 0o600 });
  for (const node of cluster.state.nodes.values()) node.checkpointUsers.add(AGENT_USER);
  const running: { stop(): Promise<void> }[] = [];
  return {
    admin: loadKubeconfig({ kubeconfig: cluster.kubeconfig }).kc,
    raw,
    agentKubeconfig,
    controllerKubeconfig,
    agentTokenFile: tokenFile,
    async startAgent(node, options = {}) {
      const fake = cluster.state.nodes.get(node)!;
      fake.checkpointUsers.add(AGENT_USER);
      const kubelet = await DirectKubelet.create(node, `https://127.0.0.1:${fake.kubeletPort}`, {
        caCert: cluster.pki.ca.certFile,
        tokenFile,
      });
      const agent = new NodeAgent({
        kc: loadKubeconfig({ kubeconfig: agentKubeconfig }).kc,
        node,
        kubelet,
        hostRoot: fake.root,
        checkpointDir: `${fake.kubeletRootDir}/checkpoints`,
        backoff: { initialMs: 100, maxMs: 1000 },
        resyncMs: 2000,
        ...options,
      });
      await agent.start();
      running.push(agent);
      return agent;
    },
    async startController(identity, options = {}) {
      const controller = new Controller({
        kc: loadKubeconfig({ kubeconfig: controllerKubeconfig }).kc,
        identity,
        lease: { namespace: 'kcr-system', name: 'kcr-controller', durationSeconds: 1, renewMs: 200 },
        tickMs: 200,
        backoff: { initialMs: 100, maxMs: 1000 },
        resyncMs: 2000,
        restore: { kubeconfig: { kubeconfig: controllerKubeconfig } },
        ...options,
      });
      await controller.start();
      running.push(controller);
      return controller;
    },
    async stopAll() {
      await Promise.all(running.splice(0).map((r) => r.stop()));
    },
  };
}

/** The in-cluster tests' cluster: two nodes whose kubelets write SMALL_ARCHIVE, kcr installed. */
export interface KcrTestCluster {
  cluster: TestCluster;
  kcr: KcrInCluster;
  /** The kcr.dev API as the cluster's admin. */
  api: KcrApi;
  /** Stops every agent and controller started, then the cluster. */
  close(): Promise<void>;
}

/** Starts the cluster the in-cluster tests share (node-a and node-b) and installs kcr in it. */
export async function startKcrCluster(options: { podCheckpoints?: boolean } = {}): Promise<KcrTestCluster> {
  const cluster = await startTestCluster({ nodes: ['node-a', 'node-b'], ...options });
  try {
    for (const k of cluster.kubelets.values()) k.archiveFor = () => SMALL_ARCHIVE;
    const kcr = await installKcr(cluster);
    return {
      cluster,
      kcr,
      api: new KcrApi(kcr.admin),
      async close() {
        await kcr.stopAll();
        await cluster.close();
      },
    };
  } catch (err) {
    await cluster.close();
    throw err;
  }
}

/** Polls `f` until it returns a value other than undefined (at most `timeoutMs`). */
export async function eventually<T>(
  f: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
