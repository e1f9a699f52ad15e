/**
 * `kcr prune (--store S | --node-dir DIR | --pod-checkpoints [-n NS | -A]) [--keep-last N]
 * [--max-age 7d] [--max-size 20GiB] [--per container|pod|namespace] [--policy FILE] [--dry-run]`:
 * what goes, and why, one line each. PodCheckpoints are decided by the function the controller
 * uses for a schedule's podCheckpointRetention (cluster's planPodCheckpointPrune).
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { PruneDecision, RetentionRule } from '../../backup/index.js';
import { fileError, KcrError } from '../../errors.js';
import { NODE_DATA_BYTES_ANNOTATION } from '../../cluster/resources.js';
import { formatBytes } from '../../util/units.js';
import { openNamedStore, withCatalog } from '../backup-env.js';
import type { CliContext } from '../context.js';
import { kubeconfigOptions } from '../kube-flags.js';
import { choice, outputFormat, parseDuration, parseSize, positiveInt } from '../options.js';
import { toJson, toYaml, yamlLib } from '../output/format.js';
import { renderTable, tableWidth } from '../output/table.js';

const FORMATS = ['table', 'json', 'yaml'] as const;
const PER = ['container', 'pod', 'namespace'] as const;

interface PruneFlags {
  store?: string;
  nodeDir?: string;
  keepLast?: number;
  maxAge?: string;
  maxSize?: string;
  per: (typeof PER)[number];
  policy?: string;
  dryRun?: boolean;
  output: (typeof FORMATS)[number];
  podCheckpoints?: boolean;
  namespace?: string;
  allNamespaces?: boolean;
  kubeconfig?: string;
  context?: string;
}

/** One row of the output, whatever was pruned: the fourth column is a backup's container or a PodCheckpoint's node. */
interface Row {
  id: string;
  namespace: string | undefined;
  pod: string | undefined;
  where: string;
  time: Date;
  size: number;
  reason: string;
}

const backupRow = (d: PruneDecision): Row => ({
  id: d.item.id,
  namespace: d.item.namespace,
  pod: d.item.pod,
  where: d.item.container,
  time: d.item.time,
  size: d.item.size,
  reason: d.reason,
});

/** A policy file: rules as the flags write them, each scoped to a namespace, pod or container. */
const policyFileSchema = z
  .object({
    rules: z.array(
      z
        .object({
          namespace: z.string().optional(),
          pod: z.string().optional(),
          container: z.string().optional(),
          per: z.enum(PER).optional(),
          keepLast: z.number().int().nonnegative().optional(),
          maxAge: z.string().optional(),
          maxSize: z.union([z.string(), z.number()]).optional(),
        })
        .strict(),
    ),
  })
  .strict();

async function readPolicy(path: string): Promise<RetentionRule[]> {
  const text = await readFile(path, 'utf8').catch((err: unknown) => {
    throw fileError(path, err);
  });
  let parsed;
  try {
    parsed = policyFileSchema.safeParse(yamlLib().parse(text));
  } catch (err) {
    throw new KcrError('invalid-input', `${path}: not YAML: ${(err as Error).message}`, { cause: err });
  }
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new KcrError('invalid-input', `${path}: ${issue.path.join('.') || '(top)'}: ${issue.message}`, {
      hint: 'a policy is `rules:` with namespace/pod/container, per, keepLast, maxAge (7d) and maxSize (20GiB) each',
    });
  }
  return parsed.data.rules.map((r, i) => {
    const flag = `${path}: rules.${i}`;
    return {
      ...(r.namespace !== undefined ? { namespace: r.namespace } : {}),
      ...(r.pod !== undefined ? { pod: r.pod } : {}),
      ...(r.container !== undefined ? { container: r.container } : {}),
      per: r.per ?? 'container',
      ...(r.keepLast !== undefined ? { keepLast: r.keepLast } : {}),
      ...(r.maxAge !== undefined ? { maxAge: parseDuration(`${flag}.maxAge`, r.maxAge) } : {}),
      ...(r.maxSize !== undefined
        ? { maxSize: typeof r.maxSize === 'number' ? r.maxSize : parseSize(`${flag}.maxSize`, r.maxSize) }
        : {}),
    };
  });
}

async function rulesFrom(ctx: CliContext, flags: PruneFlags): Promise<RetentionRule[]> {
  const rules = flags.policy ? await readPolicy(resolve(ctx.io.cwd, flags.policy)) : [];
  if (flags.keepLast !== undefined || flags.maxAge !== undefined || flags.maxSize !== undefined) {
    // The flags are the default rule: scoped rules from --policy are more specific and win.
    rules.push({
      per: flags.per,
      ...(flags.keepLast !== undefined ? { keepLast: flags.keepLast } : {}),
      ...(flags.maxAge !== undefined ? { maxAge: parseDuration('--max-age', flags.maxAge) } : {}),
      ...(flags.maxSize !== undefined ? { maxSize: parseSize('--max-size', flags.maxSize) } : {}),
    });
  }
  if (rules.length === 0) {
    // Both lines fit an 80-column terminal with their `error: `/`hint: ` prefixes.
    throw new KcrError('usage', 'kcr prune needs a limit: --keep-last, --max-age, --max-size or --policy', {
      hint: 'for example: kcr prune --keep-last 5 --max-age 30d --dry-run',
    });
  }
  return rules;
}

function render(
  removed: Row[],
  format: (typeof FORMATS)[number],
  dryRun: boolean,
  what: string,
  /** The terminal's width (tableWidth), so the table fits it; undefined off a terminal. */
  width: number | undefined,
  where: 'container' | 'node' = 'container',
): string {
  const rows = removed.map((r) => ({ ...r, time: r.time.toISOString() }));
  // The documented -o json shape: the fourth column under its own name.
  const shown = rows.map((r) => ({
    id: r.id,
    namespace: r.namespace,
    pod: r.pod,
    [where]: r.where,
    time: r.time,
    size: r.size,
    reason: r.reason,
  }));
  if (format === 'json') return toJson({ dryRun, removed: shown });
  if (format === 'yaml') return toYaml({ dryRun, removed: shown });
  if (rows.length === 0) return `nothing to prune\n`;
  const total = rows.reduce((n, r) => n + r.size, 0);
  return (
    renderTable(
      rows,
      [
        { header: what, value: (r) => r.id },
        // On a narrow terminal these go (TAKEN first) before the reason is squeezed: the id a user
        // copies stays whole, and the reason names the container, pod or namespace it counted.
        { header: 'NAMESPACE', value: (r) => r.namespace, optional: true },
        { header: 'POD', value: (r) => r.pod, optional: true },
        { header: where.toUpperCase(), value: (r) => r.where, optional: true },
        { header: 'TAKEN', value: (r) => r.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), optional: true },
        { header: 'SIZE', value: (r) => formatBytes(r.size), align: 'right' },
        { header: 'REASON', value: (r) => r.reason, wrap: true, minWidth: 40 },
      ],
      { width },
    ) + `${dryRun ? 'would remove' : 'removed'} ${rows.length} (${formatBytes(total)})\n`
  );
}

/** The same decision the controller makes for a schedule (cluster's planPodCheckpointPrune), from the flags' rules. */
async function prunePodCheckpoints(
  ctx: CliContext,
  flags: PruneFlags,
  rules: RetentionRule[],
  dryRun: boolean,
): Promise<Row[]> {
  const { KubeClient } = await import('../../kube/index.js');
  const { KcrApi, planPodCheckpointPrune, applyPodCheckpointPrune } = await import('../../cluster/index.js');
  const client = KubeClient.fromKubeconfig(kubeconfigOptions(flags, ctx));
  const namespace = flags.allNamespaces ? undefined : (flags.namespace ?? client.defaultNamespace);
  const decisions = await planPodCheckpointPrune(client, new KcrApi(client.kc), rules, {
    ...(namespace ? { namespace } : {}),
  });
  const removed = dryRun ? decisions : await applyPodCheckpointPrune(client, decisions);
  return removed.map(({ podCheckpoint: pc, reason }) => ({
    id: pc.metadata.name,
    namespace: pc.metadata.namespace,
    pod: pc.spec.sourcePod.name,
    where: pc.status?.nodeName ?? '',
    time: new Date(pc.status?.completionTime ?? pc.metadata.creationTimestamp ?? 0),
    size: Number(pc.metadata.annotations?.[NODE_DATA_BYTES_ANNOTATION] ?? 0) || 0,
    reason,
  }));
}

export function registerPrune(program: Command, ctx: CliContext): void {
  program
    .command('prune')
    .description(
      'remove backups (or raw node archives, or PodCheckpoints) that a retention policy no longer keeps; pinned ones stay',
    )
    .option('--store <name|url>', 'the store to prune (default: the local store)')
    .option(
      '--node-dir <dir>',
      'prune the raw archives in this directory instead (e.g. /var/lib/kubelet/checkpoints)',
    )
    .option('--keep-last <n>', 'keep the newest N', positiveInt('--keep-last'))
    .option('--max-age <duration>', 'remove backups older than this (7d, 36h)')
    .option('--max-size <size>', 'keep the newest backups up to this total size (20GiB, 500MiB)')
    .option(
      '--per <level>',
      'what each limit counts over: container, pod or namespace',
      choice('--per', PER),
      'container',
    )
    .option(
      '--policy <file>',
      'YAML rules scoped to namespaces, pods and containers; the most specific rule wins',
    )
    .option('--dry-run', 'print what would be removed, and why, without removing it')
    .option('-o, --output <format>', 'table, json or yaml', outputFormat(FORMATS), 'table')
    .option(
      '--pod-checkpoints',
      'prune KEP-5823 PodCheckpoints (and, through the node agents, their data) instead; pinned (kcr.dev/pinned=true) and in-use ones stay',
    )
    .option('-n, --namespace <namespace>', "with --pod-checkpoints: the namespace (default: the context's)")
    .option('-A, --all-namespaces', 'with --pod-checkpoints: every namespace')
    .option(
      '--kubeconfig <file>',
      'with --pod-checkpoints: kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)',
    )
    .option('--context <name>', 'with --pod-checkpoints: kubeconfig context to use')
    .action(async (flags: PruneFlags) => {
      const modes = [flags.store !== undefined, flags.nodeDir !== undefined, Boolean(flags.podCheckpoints)];
      if (modes.filter(Boolean).length > 1) {
        throw new KcrError('usage', '--store, --node-dir and --pod-checkpoints exclude each other', {
          hint: 'prune one at a time',
        });
      }
      const rules = await rulesFrom(ctx, flags);
      const dryRun = Boolean(flags.dryRun);
      if (flags.podCheckpoints) {
        ctx.io.stdout.write(
          render(
            await prunePodCheckpoints(ctx, flags, rules, dryRun),
            flags.output,
            dryRun,
            'PODCHECKPOINT',
            tableWidth(ctx.io.stdout),
            'node',
          ),
        );
        return;
      }
      const { pruneNodeDir, pruneStore } = await import('../../backup/index.js');
      if (flags.nodeDir !== undefined) {
        const decisions = await pruneNodeDir(resolve(ctx.io.cwd, flags.nodeDir), rules, {
          dryRun,
          signal: ctx.signal,
        });
        ctx.io.stdout.write(
          render(decisions.map(backupRow), flags.output, dryRun, 'ARCHIVE', tableWidth(ctx.io.stdout)),
        );
        return;
      }
      const decisions = await withCatalog(ctx, async (catalog) => {
        const named = await openNamedStore(ctx, catalog, flags.store);
        try {
          return await pruneStore(catalog, named, rules, { dryRun, signal: ctx.signal });
        } finally {
          await named.store.close();
        }
      });
      ctx.io.stdout.write(
        render(decisions.map(backupRow), flags.output, dryRun, 'ID', tableWidth(ctx.io.stdout)),
      );
    });
}
