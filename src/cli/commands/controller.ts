/**
 * `kcr controller [--lease-namespace NS] [--lease-name NAME] [--identity ID]`: the controller, as
 * the Deployment runs it: schedules, retention and restores by the replica that holds the Lease.
 */
import type { Command } from 'commander';
import { hostname } from 'node:os';
import type { CliContext } from '../context.js';
import { addClusterFlags, logger, storeOptions, untilStopped, type ClusterFlags } from '../cluster-flags.js';
import { kubeconfigOptions } from '../kube-flags.js';

interface Flags extends ClusterFlags {
  leaseNamespace: string;
  leaseName: string;
  identity?: string;
  kubeconfig?: string;
  context?: string;
}

export function registerController(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('controller')
    .description('run the controller: schedules, retention and restores (as the kcr Deployment does)')
    .option('--lease-namespace <ns>', 'namespace of the leader-election Lease', 'kcr-system')
    .option('--lease-name <name>', 'name of the leader-election Lease', 'kcr-controller')
    .option('--identity <id>', 'this replica in the Lease (default: $POD_NAME, else the host name)')
    .option('--kubeconfig <file>', 'kubeconfig (default: the service account in a Pod)')
    .option('--context <name>', 'kubeconfig context');
  addClusterFlags(cmd).action(async (f: Flags) => {
    const { loadKubeconfig } = await import('../../kube/index.js');
    const { Controller, Metrics, serveEndpoints } = await import('../../cluster/index.js');
    const options = kubeconfigOptions({ kubeconfig: f.kubeconfig, context: f.context }, ctx);
    const { kc } = loadKubeconfig(options);
    const metrics = new Metrics();
    const controller = new Controller({
      kc,
      identity: f.identity ?? ctx.io.env.POD_NAME ?? hostname(),
      lease: { namespace: f.leaseNamespace, name: f.leaseName },
      storeOptions: storeOptions(f),
      restore: { kubeconfig: options },
      resyncMs: 60_000,
      metrics,
      log: logger(ctx),
    });
    const endpoints = f.metricsPort
      ? await serveEndpoints(metrics, () => controller.notReady(), { port: f.metricsPort })
      : undefined;
    try {
      await controller.start();
      await untilStopped(ctx);
    } finally {
      await controller.stop();
      await endpoints?.close();
    }
  });
}
