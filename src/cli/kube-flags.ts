/** kubectl's connection flags, shared by the Kubernetes commands: --kubeconfig, --context, -n. */
import type { Command } from 'commander';
import { DEFAULT_HELPER_IMAGE } from '../kube/defaults.js';
import type { CheckpointSelection, KubeconfigOptions } from '../kube/index.js';
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

/** Which containers a checkpoint takes: `POD` or `-l`, with `-c` or `--all-containers`, in `-n`. */
export interface SelectionFlags extends KubeFlags {
  selector?: string;
  container?: string;
  allContainers?: boolean;
}

/**
 * The selection flags as the options of kube's CheckpointSelection (and so of ops.checkpoint and
 * backup.backupPods): one mapping for `kcr checkpoint` and `kcr backup POD`.
 */
export function selectionOptions(
  pod: string | undefined,
  flags: SelectionFlags,
  ctx: CliContext,
): CheckpointSelection {
  return {
    ...kubeconfigOptions(flags, ctx),
    namespace: flags.namespace,
    pod,
    selector: flags.selector,
    container: flags.container,
    allContainers: flags.allContainers,
  };
}

/** The copy helper pod's flags, shared by `kcr checkpoint -o` and `kcr migrate`. */
export function addHelperPodFlags(cmd: Command): Command {
  return cmd
    .option(
      '--helper-image <image>',
      'image of the copy helper pod; any image with sleep, stat, sha256sum and cat (e.g. a mirror of busybox)',
      DEFAULT_HELPER_IMAGE,
    )
    .option('--helper-namespace <namespace>', "namespace for the copy helper pod (default: the pod's)");
}
