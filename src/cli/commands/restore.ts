/**
 * `kcr restore ARCHIVE|IMAGE_REF|BACKUP_ID` (or `--latest --pod P`): publish the checkpoint image
 * (for an archive or a backup read back), create the Pod pinned to a node that can restore,
 * optionally a Service, and with --wait see it running. A backup is chosen from the catalog and
 * restored by backup/restoreBackup, which goes through the same ops restore.
 */
import type { Command } from 'commander';
import { KcrError } from '../../errors.js';
import type { RestoreOptions, RestoreSource } from '../../ops/index.js';
import { isDirectory, isFile } from '../../util/fs-checks.js';
import type { CliContext } from '../context.js';
import { addKubeFlags, kubeconfigOptions, type KubeFlags } from '../kube-flags.js';
import { imageIdentities } from '../encryption-flags.js';
import { opProgress } from '../op-progress.js';
import { addBackupSourceFlags, backupSource, type BackupSourceFlags } from './restore-backup.js';
import { addRegistryFlags, pushRepository, registryOptions, type RegistryFlags } from '../registry-flags.js';
import { outputFormat, timeoutSeconds } from '../options.js';
import { renderObjects, restoreLines, type ObjectFormat } from '../output/kube-printers.js';
import { restorePodCheckpointLines } from '../output/pod-checkpoint-printers.js';

interface Flags extends KubeFlags, RegistryFlags, BackupSourceFlags {
  name?: string;
  node?: string;
  toNode?: string;
  registry?: string;
  expose?: number[];
  wait?: boolean;
  timeout?: number;
  dryRun?: boolean;
  output?: ObjectFormat;
}

function collectPorts(value: string, previous: number[] = []): number[] {
  const ports = value.split(',').map((p) => Number(p.trim()));
  if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535))
    throw new KcrError('usage', `--expose ${value}: ports are whole numbers from 1 to 65535`);
  return [...previous, ...ports];
}

/** An archive when the path exists (a file, or an extracted checkpoint directory); else an image reference, if it looks like one. */
async function restoreSource(source: string): Promise<RestoreSource> {
  if ((await isFile(source)) || (await isDirectory(source))) return { archive: source };
  if (/^[./~]/.test(source) || source.endsWith('.tar')) {
    throw new KcrError('not-found', `${source}: no such archive`, {
      hint: 'give a checkpoint archive path or a checkpoint image reference (REGISTRY/REPO:TAG)',
    });
  }
  const { parseReference } = await import('../../oci/index.js');
  return { image: parseReference(source) };
}

const POD_CHECKPOINT_REF = /^podcheckpoints?(?:\.node\.k8s\.io)?\/(.+)$/;

/** `kcr restore podcheckpoint/NAME`: the KEP's restoreFrom on its node, or kcr's image path elsewhere. */
async function runRestorePodCheckpoint(name: string, f: Flags, ctx: CliContext): Promise<void> {
  const clash = [f.node && '--node', f.expose && '--expose', f.dryRun && '--dry-run'].find(Boolean);
  if (clash) {
    throw new KcrError('usage', `restoring a podcheckpoint does not take ${clash}`, {
      hint: "it restores on the checkpoint's node; --to-node NODE restores elsewhere through a checkpoint image",
    });
  }
  const registry = await registryOptions(ctx, f);
  const repository = f.registry !== undefined ? await pushRepository(f.registry) : undefined;
  const progress = opProgress(ctx);
  let result;
  try {
    const { restorePodCheckpoint } = await import('../../ops/index.js');
    result = await restorePodCheckpoint({
      ...kubeconfigOptions(f, ctx),
      name,
      namespace: f.namespace,
      ...(f.name ? { podName: f.name } : {}),
      ...(f.toNode ? { toNode: f.toNode } : {}),
      ...(repository ? { repository } : {}),
      registry,
      wait: f.wait,
      timeoutSeconds: f.timeout,
      signal: ctx.signal,
      onEvent: progress.onEvent,
    });
  } finally {
    progress.stop();
  }
  ctx.io.stdout.write(
    f.output
      ? renderObjects([result.pod], f.output)
      : restorePodCheckpointLines(result, `podcheckpoint/${name}`),
  );
}

export async function runRestore(source: string | undefined, f: Flags, ctx: CliContext): Promise<void> {
  const podCheckpoint = POD_CHECKPOINT_REF.exec(source ?? '');
  if (podCheckpoint) return runRestorePodCheckpoint(podCheckpoint[1]!, f, ctx);
  if (f.toNode)
    throw new KcrError('usage', '--to-node goes with podcheckpoint/NAME', {
      hint: 'restore an archive or image on a node with --node',
    });
  const backup = await backupSource(source, f, ctx);
  if (source === undefined && !backup) {
    throw new KcrError('usage', 'kcr restore needs what to restore', {
      hint: 'give an archive, a checkpoint image, a backup id, or --latest --pod POD -n NS',
    });
  }
  const registry = await registryOptions(ctx, f, '--registry-timeout');
  const from = backup ? undefined : await restoreSource(source!);
  const repository = f.registry !== undefined ? await pushRepository(f.registry) : undefined;
  const progress = opProgress(ctx);
  const options: Omit<RestoreOptions, 'source'> = {
    ...kubeconfigOptions(f, ctx),
    // An encrypted checkpoint image (ocicrypt) is opened with --identity; a backup reads its own.
    ...(from && 'image' in from && f.identity.length
      ? { identities: await imageIdentities(f.identity) }
      : {}),
    name: f.name,
    namespace: f.namespace,
    node: f.node,
    ...(repository ? { repository } : {}),
    registry,
    expose: f.expose,
    wait: f.wait,
    timeoutSeconds: f.timeout,
    dryRun: f.dryRun,
    signal: ctx.signal,
    onEvent: progress.onEvent,
  };
  let result;
  try {
    if (backup) {
      result = await backup.restore(options);
    } else {
      const { restore } = await import('../../ops/index.js');
      result = await restore({ ...options, source: from! });
    }
  } finally {
    progress.stop();
  }
  for (const w of result.warnings) ctx.io.stderr.write(`warning: ${w}\n`);
  const objects = [result.pod, ...(result.service ? [result.service] : [])];
  ctx.io.stdout.write(f.output ? renderObjects(objects, f.output) : restoreLines(result));
}

export function registerRestore(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('restore')
    .description(
      'restore a checkpoint as a new pod: from an archive or a backup (pushed as a checkpoint image first) or a checkpoint image',
    )
    .argument(
      '[source]',
      'checkpoint archive (with ARCHIVE.pod.json beside it if kcr checkpoint --output-file made it), checkpoint image reference, backup id (see kcr backups), or podcheckpoint/NAME (KEP-5823)',
    )
    .option('--name <name>', "name of the new pod (default: the original pod's)")
    .option(
      '--node <node>',
      "node to restore on (default: the node it was checkpointed on, from the saved Pod or the image's annotation); it needs CRI-O >= 1.25 or containerd >= 2.0",
    )
    .option(
      '--registry <repository>',
      'push the archive as REGISTRY/REPOSITORY[:TAG] (the tag defaults to CONTAINER-TIME)',
    )
    .option(
      '--to-node <node>',
      "with podcheckpoint/NAME: restore on this node instead of the checkpoint's, through a checkpoint image in --registry (without it the API server decides, and alpha servers refuse)",
    )
    .option('--expose <port>', 'create a Service for these ports (repeat or comma-separate)', collectPorts)
    .option('--wait', 'wait until the pod runs; on failure show why')
    .option('--timeout <duration>', 'how long --wait waits (default 5m)', timeoutSeconds('--timeout'))
    .option(
      '--dry-run',
      'print what would be created, once the target node is checked; creates and pushes nothing',
    )
    .option(
      '-o, --output <format>',
      'print the objects as json or yaml',
      outputFormat(['json', 'yaml'] as const),
    );
  addBackupSourceFlags(cmd);
  addRegistryFlags(
    addKubeFlags(cmd, 'namespace of the new pod (default: the original one)'),
    '--registry-timeout',
  ).action(async (source: string | undefined, f: Flags) => {
    await runRestore(source, f, ctx);
  });
}
