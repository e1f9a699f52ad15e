/**
 * `kcr checkpoint POD | -l SELECTOR`: checkpoint containers through the API server (default) or
 * straight at a kubelet, print where each archive is, and with --output-file copy it here.
 */
import { dirname } from 'node:path';
import { Option, type Command } from 'commander';
import { KcrError } from '../../errors.js';
import type { CheckpointOptions, CopyDestination } from '../../ops/index.js';
import { isDirectory } from '../../util/fs-checks.js';
import type { CliContext } from '../context.js';
import {
  addHelperPodFlags,
  addKubeFlags,
  kubeconfigOptions,
  selectionOptions,
  type SelectionFlags,
} from '../kube-flags.js';
import { choice, outputFormat, positiveInt, timeoutSeconds } from '../options.js';
import { renderCheckpointOutcomes, type CheckpointFormat } from '../output/kube-printers.js';
import { renderPodCheckpoint } from '../output/pod-checkpoint-printers.js';
import { tableWidth } from '../output/table.js';
import { opProgress } from '../op-progress.js';

const CHECKPOINT_FORMATS = ['table', 'json', 'yaml'] as const;

interface Flags extends SelectionFlags {
  timeout?: number;
  outputFile?: string;
  via?: 'apiserver' | 'kubelet';
  kubeletUrl?: string;
  clientCert?: string;
  clientKey?: string;
  caCert?: string;
  insecure?: boolean;
  parallel: number;
  helperImage: string;
  helperNamespace?: string;
  output: CheckpointFormat;
  podLevel?: boolean;
  name?: string;
  /** checkpointctl's and kcr's first name for -o; hidden. */
  format?: CheckpointFormat;
}

/** `--output-file DIR/` or an existing directory: archives keep their names there; anything else is one archive's file name. */
async function copyDestination(output: string | undefined): Promise<CopyDestination | undefined> {
  if (!output) return undefined;
  if (output.endsWith('/') || (await isDirectory(output))) return { dir: output };
  if (!(await isDirectory(dirname(output)))) {
    throw new KcrError(
      'not-found',
      `--output-file ${output}: the directory ${dirname(output)} does not exist`,
      {
        hint: 'create it first, or name a path in an existing directory',
      },
    );
  }
  return { file: output };
}

async function toOptions(pod: string | undefined, f: Flags, ctx: CliContext): Promise<CheckpointOptions> {
  const copyTo = await copyDestination(f.outputFile);
  return {
    ...selectionOptions(pod, f, ctx),
    timeoutSeconds: f.timeout,
    ...(copyTo ? { copyTo } : {}),
    // Without --output-file the archive stays on the node; its Pod object is saved in the working directory,
    // or beside the archive when kcr runs on that node.
    podObjectDir: ctx.io.cwd,
    podObjectBesideArchive: true,
    via: f.via,
    kubeletUrl: f.kubeletUrl,
    kubeletTls: { clientCert: f.clientCert, clientKey: f.clientKey, caCert: f.caCert, insecure: f.insecure },
    parallel: f.parallel,
    helperImage: f.helperImage,
    helperNamespace: f.helperNamespace,
    signal: ctx.signal,
  };
}

export async function runCheckpoint(pod: string | undefined, f: Flags, ctx: CliContext): Promise<void> {
  const options = await toOptions(pod, f, ctx);
  const progress = opProgress(ctx);
  let outcomes;
  try {
    const { checkpoint } = await import('../../ops/index.js');
    outcomes = await checkpoint({ ...options, onEvent: progress.onEvent });
  } finally {
    progress.stop();
  }
  const failed = outcomes.filter((o) => o.error);
  // One target: its error is the command's error, with its hint.
  if (outcomes.length === 1 && failed.length === 1) throw failed[0]!.error!;
  const ok = outcomes.filter((o) => !o.error);
  const format = f.format ?? f.output;
  if (ok.length > 0 || format !== 'table')
    ctx.io.stdout.write(
      renderCheckpointOutcomes(format === 'table' ? ok : outcomes, format, tableWidth(ctx.io.stdout)),
    );
  const hints = new Set<string>();
  for (const o of failed) {
    ctx.io.stderr.write(`error: ${o.error!.message}\n`);
    if (o.error!.hint) hints.add(o.error!.hint);
  }
  for (const hint of hints) ctx.io.stderr.write(`hint: ${hint}\n`);
  if (failed.length > 0) ctx.exitCode = 2;
}

/** `--pod-level`: one PodCheckpoint (KEP-5823) for the whole pod, taken by its node's kubelet. */
async function runPodLevel(pod: string | undefined, f: Flags, ctx: CliContext): Promise<void> {
  const clash = [
    f.selector && '-l',
    f.container && '-c',
    f.allContainers && '--all-containers',
    f.via === 'kubelet' && '--via kubelet',
    f.kubeletUrl && '--kubelet-url',
    f.outputFile && '--output-file',
  ].find(Boolean);
  if (!pod || clash) {
    throw new KcrError(
      'usage',
      clash ? `--pod-level does not go with ${clash}` : '--pod-level needs a pod name',
      {
        hint: 'a pod-level checkpoint covers one whole pod: kcr checkpoint --pod-level POD [-n NAMESPACE]; copy its data later with `kcr backup podcheckpoint/NAME`',
      },
    );
  }
  const progress = opProgress(ctx);
  let result;
  try {
    const { checkpointPodLevel } = await import('../../ops/index.js');
    result = await checkpointPodLevel({
      ...kubeconfigOptions(f, ctx),
      pod,
      namespace: f.namespace,
      ...(f.name ? { name: f.name } : {}),
      timeoutSeconds: f.timeout,
      signal: ctx.signal,
      onEvent: progress.onEvent,
    });
  } finally {
    progress.stop();
  }
  ctx.io.stdout.write(renderPodCheckpoint(result, f.format ?? f.output, tableWidth(ctx.io.stdout)));
}

export function registerCheckpoint(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('checkpoint')
    .description('checkpoint running containers: through the API server (default) or directly at the kubelet')
    .argument('[pod]', 'pod name (or use -l)')
    .option(
      '-c, --container <name>',
      'container to checkpoint (default: the only one, or kubectl.kubernetes.io/default-container)',
    )
    .option('--all-containers', 'checkpoint every container of the pod')
    .option('-l, --selector <selector>', 'checkpoint every pod matching this label selector')
    .option(
      '--timeout <duration>',
      'checkpoint timeout for the kubelet (default: its runtimeRequestTimeout, 2m)',
      timeoutSeconds('--timeout'),
    )
    .option(
      '--output-file <archive|dir>',
      'copy the archive here, with its sha256 verified and the Pod saved as ARCHIVE.pod.json ' +
        '(without it the archive stays on the node and the Pod is saved as ./ARCHIVE_NAME.pod.json in the ' +
        'current directory, or beside the archive when kcr runs on that node with --via kubelet)',
    )
    .option(
      '--via <path>',
      'apiserver (node proxy, needs nodes/proxy) or kubelet (direct, needs a client certificate)',
      choice('--via', ['apiserver', 'kubelet'] as const),
    )
    .option(
      '--kubelet-url <url>',
      "kubelet to call directly, e.g. https://10.0.0.5:10250 (default with --via kubelet: the node's address)",
    )
    .option(
      '--client-cert <file>',
      'client certificate for the kubelet (kubeadm: apiserver-kubelet-client.crt in /etc/kubernetes/pki)',
    )
    .option('--client-key <file>', 'key of --client-cert')
    .option(
      '--ca-cert <file>',
      "CA of the kubelet's serving certificate (self-signed kubelets: /var/lib/kubelet/pki/kubelet.crt)",
    )
    .option('--insecure', "do not verify the kubelet's serving certificate")
    .option('--parallel <n>', 'checkpoints at once with -l or --all-containers', positiveInt('--parallel'), 4)
    .option(
      '--pod-level',
      'checkpoint the whole pod as one PodCheckpoint (KEP-5823, Kubernetes 1.37 alpha); waits until it is Ready',
    )
    .option('--name <name>', 'name of the PodCheckpoint with --pod-level (default POD-YYYYMMDD-HHMMSS)')
    .option(
      '-o, --output <format>',
      'table, json or yaml',
      outputFormat(CHECKPOINT_FORMATS, { fileFlag: '--output-file' }),
      'table',
    )
    .addOption(
      new Option('--format <format>', 'alias of -o').hideHelp().argParser(outputFormat(CHECKPOINT_FORMATS)),
    );
  addHelperPodFlags(addKubeFlags(cmd)).action(async (pod: string | undefined, f: Flags) => {
    if (f.insecure && f.via !== 'kubelet' && !f.kubeletUrl) {
      throw new KcrError('usage', '--insecure applies to direct kubelet calls only', {
        hint: 'add --via kubelet, or drop --insecure',
      });
    }
    if (f.outputFile === '-') {
      throw new KcrError('usage', 'checkpoint cannot write its archive to stdout', {
        hint: 'give --output-file a file or directory: the archive comes with its Pod object (ARCHIVE.pod.json)',
      });
    }
    if (f.podLevel) return runPodLevel(pod, f, ctx);
    if (f.name) throw new KcrError('usage', '--name goes with --pod-level only');
    await runCheckpoint(pod, f, ctx);
  });
}
