/** `kcr migrate POD --to NODE --registry REPO`: checkpoint, publish, restore on NODE, then optionally delete the original. */
import type { Command } from 'commander';
import type { MigrateOptions } from '../../ops/index.js';
import type { CliContext } from '../context.js';
import { addHelperPodFlags, addKubeFlags, kubeconfigOptions, type KubeFlags } from '../kube-flags.js';
import { opProgress } from '../op-progress.js';
import { addRegistryFlags, pushRepository, registryOptions, type RegistryFlags } from '../registry-flags.js';
import { outputFormat, timeoutSeconds } from '../options.js';
import { renderMigrate } from '../output/kube-printers.js';

interface Flags extends KubeFlags, RegistryFlags {
  to: string;
  registry: string;
  container?: string;
  name?: string;
  deleteSource?: boolean;
  force?: boolean;
  timeout?: number;
  helperImage: string;
  helperNamespace?: string;
  output?: 'json' | 'yaml';
}

function toOptions(pod: string, f: Flags, ctx: CliContext): Omit<MigrateOptions, 'repository' | 'onEvent'> {
  return {
    ...kubeconfigOptions(f, ctx),
    pod,
    namespace: f.namespace,
    container: f.container,
    to: f.to,
    name: f.name,
    deleteSource: f.deleteSource,
    force: f.force,
    timeoutSeconds: f.timeout,
    helperImage: f.helperImage,
    helperNamespace: f.helperNamespace,
    signal: ctx.signal,
  };
}

export function registerMigrate(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('migrate')
    .description(
      'move a running pod to another node: checkpoint, push the checkpoint image, restore there, wait until it runs',
    )
    .argument('<pod>', 'pod to migrate')
    .requiredOption('--to <node>', 'node to restore on')
    .requiredOption(
      '--registry <repository>',
      'REGISTRY/REPOSITORY for the checkpoint image (the target node pulls it)',
    )
    .option('-c, --container <name>', 'container to checkpoint (the other containers start afresh)')
    .option('--name <name>', 'name of the new pod (default: POD-NODE)')
    .option('--delete-source', 'delete the original pod once the new one runs')
    .option(
      '--force',
      'with --delete-source: delete the original even when a controller (ReplicaSet, StatefulSet, ...) owns it and will replace it',
    )
    .option(
      '--timeout <duration>',
      'checkpoint timeout, and how long to wait for the new pod',
      timeoutSeconds('--timeout'),
    )
    .option(
      '-o, --output <format>',
      'print the result as json or yaml',
      outputFormat(['json', 'yaml'] as const),
    );
  addRegistryFlags(addHelperPodFlags(addKubeFlags(cmd)), '--registry-timeout').action(
    async (pod: string, f: Flags) => {
      const registry = await registryOptions(ctx, f, '--registry-timeout');
      const repository = await pushRepository(f.registry);
      const progress = opProgress(ctx);
      let result;
      try {
        const { migrate } = await import('../../ops/index.js');
        result = await migrate({
          ...toOptions(pod, f, ctx),
          repository,
          registry,
          onEvent: progress.onEvent,
        });
      } finally {
        progress.stop();
      }
      for (const w of result.restore.warnings) ctx.io.stderr.write(`warning: ${w}\n`);
      ctx.io.stdout.write(renderMigrate(result, f.output ?? 'text'));
    },
  );
}
