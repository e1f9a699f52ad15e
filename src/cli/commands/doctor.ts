/** `kcr doctor`: can this cluster checkpoint and restore? Each finding comes with a fix; exit 0 means ready, 3 not ready. */
import type { Command } from 'commander';
import { DEFAULT_HELPER_IMAGE } from '../../kube/defaults.js';
import type { CliContext } from '../context.js';
import { addKubeFlags, kubeconfigOptions, type KubeFlags } from '../kube-flags.js';
import { outputFormat } from '../options.js';
import { renderDoctor } from '../output/kube-printers.js';
import { tableWidth } from '../output/table.js';

/** Not an error: the checks ran, and the answer is "not ready". */
export const NOT_READY_EXIT = 3;

interface Flags extends KubeFlags {
  node?: string;
  canary?: boolean;
  canaryImage: string;
  output: 'table' | 'json' | 'yaml';
}

export function registerDoctor(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('doctor')
    .description(
      'check the cluster for checkpoint/restore: server version, kubelet feature gate, runtimes, your RBAC',
    )
    .option('--node <node>', 'check only this node')
    .option(
      '--canary',
      'also checkpoint a throwaway pod for real (it is deleted; the archive stays on the node)',
    )
    .option(
      '--canary-image <image>',
      'image of the canary pod; any image with sleep (e.g. a mirror of busybox)',
      DEFAULT_HELPER_IMAGE,
    )
    .option(
      '-o, --output <format>',
      'table, json or yaml',
      outputFormat(['table', 'json', 'yaml'] as const),
      'table',
    );
  addKubeFlags(cmd, "namespace for the RBAC checks and the canary (default: the context's)").action(
    async (f: Flags) => {
      const { doctor } = await import('../../kube/index.js');
      const report = await doctor({
        ...kubeconfigOptions(f, ctx),
        node: f.node,
        namespace: f.namespace,
        canary: f.canary,
        canaryImage: f.canaryImage,
        signal: ctx.signal,
      });
      ctx.io.stdout.write(renderDoctor(report, f.output, tableWidth(ctx.io.stdout)));
      if (!report.ready) ctx.exitCode = NOT_READY_EXIT;
    },
  );
}
