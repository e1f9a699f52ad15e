/** kubectl's connection flags, shared by the Kubernetes commands: --kubeconfig, --context, -n. */
import type { Command } from 'commander';
import type { KubeconfigOptions } from '../kube/index.js';
import type { CliContext } from './context.js';

export interface KubeFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export function addKubeFlags(cmd: Command, namespaceHelp = "namespace (default: the context's)"): Command {
  return cmd
    .option('-n, --namespace <namespace>', namespaceHelp)
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use');
}

/**
 * Flags beat KUBECONFIG, which beats ~/.kube/config, which beats the pod's service account (when
 * KUBERNETES_SERVICE_HOST is set); the environment is the CLI's, not the process's.
 */
export function kubeconfigOptions(flags: KubeFlags, ctx: CliContext): KubeconfigOptions {
  return {
    kubeconfig: flags.kubeconfig,
    context: flags.context,
    env: ctx.io.env,
    ...(ctx.io.serviceAccountDir ? { serviceAccountDir: ctx.io.serviceAccountDir } : {}),
  };
}
