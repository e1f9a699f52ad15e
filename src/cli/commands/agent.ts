/**
 * `kcr agent --node NODE --kubelet-url URL [--store URL] ...`: the node agent, as the DaemonSet runs
 * it. It carries out the Checkpoints of its node, prunes the node's checkpoint directory and removes
 * the data of deleted PodCheckpoints (--pod-checkpoint-dir), until SIGTERM; /metrics, /healthz and /readyz on --metrics-port.
 */
import type { Command } from 'commander';
import { join } from 'node:path';
import type { CliContext } from '../context.js';
import { addClusterFlags, logger, storeOptions, untilStopped, type ClusterFlags } from '../cluster-flags.js';
import { kubeconfigOptions } from '../kube-flags.js';
import { choice, parseDuration, parseSize, positiveInt } from '../options.js';

interface Flags extends ClusterFlags {
  node?: string;
  kubeletUrl?: string;
  kubeletCa?: string;
  kubeletTokenFile?: string;
  kubeletInsecure?: boolean;
  checkpointDir: string;
  hostRoot: string;
  keepArchives?: boolean;
  maxConcurrent: number;
  selectBy: 'field' | 'label';
  pruneKeepLast?: number;
  pruneMaxAge?: string;
  pruneMaxSize?: string;
  pruneInterval: string;
  podCheckpointDir?: string;
  podCheckpointOrphanAge: string;
  kubeconfig?: string;
  context?: string;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export function registerAgent(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('agent')
    .description("run the node agent: carry out this node's Checkpoints (as the kcr DaemonSet does)")
    .option('--node <node>', 'this node (default: $NODE_NAME)')
    .option('--kubelet-url <url>', "this node's kubelet, e.g. https://$(HOST_IP):10250")
    .option('--kubelet-ca <file>', "CA of the kubelet's serving certificate (default: the service account's)")
    .option(
      '--kubelet-token-file <file>',
      'bearer token for the kubelet (default: the service account token)',
    )
    .option('--kubelet-insecure', "do not verify the kubelet's serving certificate")
    .option('--checkpoint-dir <dir>', "the kubelet's checkpoint directory", '/var/lib/kubelet/checkpoints')
    .option(
      '--host-root <dir>',
      "where the node's / is seen from here (the directory is mounted at its own path)",
      '/',
    )
    .option('--keep-archives', "keep the node's archive once it is stored")
    .option('--max-concurrent <n>', 'checkpoints at once on this node', positiveInt('--max-concurrent'), 2)
    .option(
      '--select-by <how>',
      'watch own Checkpoints by field (spec.nodeName, 1.31+) or label (kcr.dev/node)',
      choice('--select-by', ['field', 'label'] as const),
      'field',
    )
    .option(
      '--prune-keep-last <n>',
      'prune the checkpoint directory: keep the newest N per container',
      positiveInt('--prune-keep-last'),
    )
    .option(
      '--prune-max-age <age>',
      'prune the checkpoint directory: remove archives older than this (e.g. 7d)',
    )
    .option('--prune-max-size <size>', 'prune the checkpoint directory: keep at most this much per container')
    .option('--prune-interval <duration>', 'how often to prune', '10m')
    .option(
      '--pod-checkpoint-dir <dir>',
      "the kubelet's KEP-5823 pod-checkpoint directory: remove a deleted PodCheckpoint's data there (finalizer kcr.dev/node-data) and sweep orphans",
    )
    .option(
      '--pod-checkpoint-orphan-age <age>',
      'sweep pod-checkpoint data no PodCheckpoint names once it is this old',
      '1h',
    )
    .option('--kubeconfig <file>', 'kubeconfig (default: the service account in a Pod)')
    .option('--context <name>', 'kubeconfig context');
  addClusterFlags(cmd).action(async (f: Flags) => {
    const { KcrError } = await import('../../errors.js');
    const node = f.node ?? ctx.io.env.NODE_NAME;
    if (!node)
      throw new KcrError('usage', 'agent: which node is this?', {
        hint: 'pass --node NODE (the DaemonSet sets NODE_NAME from spec.nodeName)',
      });
    if (!f.kubeletUrl)
      throw new KcrError('usage', 'agent: --kubelet-url is required', {
        hint: 'https://$(HOST_IP):10250, with HOST_IP from status.hostIP',
      });
    const { DirectKubelet, loadKubeconfig } = await import('../../kube/index.js');
    const { NodeAgent, Metrics, serveEndpoints } = await import('../../cluster/index.js');
    const kubelet = await DirectKubelet.create(node, f.kubeletUrl, {
      caCert: f.kubeletCa ?? join(SA_DIR, 'ca.crt'),
      tokenFile: f.kubeletTokenFile ?? join(SA_DIR, 'token'),
      ...(f.kubeletInsecure ? { insecure: true } : {}),
    });
    const { kc } = loadKubeconfig(kubeconfigOptions({ kubeconfig: f.kubeconfig, context: f.context }, ctx));
    const rules =
      f.pruneKeepLast !== undefined || f.pruneMaxAge || f.pruneMaxSize
        ? [
            {
              per: 'container' as const,
              ...(f.pruneKeepLast !== undefined ? { keepLast: f.pruneKeepLast } : {}),
              ...(f.pruneMaxAge ? { maxAge: parseDuration('--prune-max-age', f.pruneMaxAge) } : {}),
              ...(f.pruneMaxSize ? { maxSize: parseSize('--prune-max-size', f.pruneMaxSize) } : {}),
            },
          ]
        : undefined;
    const metrics = new Metrics();
    const agent = new NodeAgent({
      kc,
      node,
      kubelet,
      hostRoot: f.hostRoot,
      checkpointDir: f.checkpointDir,
      ...(f.store ? { defaultStore: f.store } : {}),
      storeOptions: storeOptions(f),
      removeArchive: !f.keepArchives,
      maxConcurrent: f.maxConcurrent,
      selectBy: f.selectBy,
      ...(rules ? { prune: { rules, intervalMs: parseDuration('--prune-interval', f.pruneInterval) } } : {}),
      ...(f.podCheckpointDir
        ? {
            podCheckpointDir: f.podCheckpointDir,
            podCheckpointSweep: {
              intervalMs: parseDuration('--prune-interval', f.pruneInterval),
              minAgeMs: parseDuration('--pod-checkpoint-orphan-age', f.podCheckpointOrphanAge),
            },
          }
        : {}),
      resyncMs: 60_000,
      metrics,
      log: logger(ctx),
    });
    const endpoints = f.metricsPort
      ? await serveEndpoints(metrics, () => agent.notReady(), { port: f.metricsPort })
      : undefined;
    try {
      await agent.start();
      logger(ctx)(`agent on ${node}: watching its Checkpoints`);
      await untilStopped(ctx);
    } finally {
      await agent.stop();
      await endpoints?.close();
    }
  });
}
