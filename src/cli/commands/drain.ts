/**
 * `kcr drain NODE [--force] [--checkpoint-only] [--dry-run=client] [--timeout 10m]`: checkpoint
 * what the schedules with `triggers.beforeDrain` cover on NODE (the node's kcr agent does it), then
 * cordon the node and evict its Pods as kubectl drain does (disruption budgets respected, refused
 * evictions retried and reported, DaemonSet Pods left). Nothing is cordoned while a checkpoint is
 * missing. Progress lines go to stderr in kubectl drain's words.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { addKubeFlags, kubeconfigOptions, type KubeFlags } from '../kube-flags.js';
import { outputFormat, timeoutSeconds } from '../options.js';
import { toJson, toYaml } from '../output/format.js';

const FORMATS = ['table', 'json', 'yaml'] as const;

interface Flags extends KubeFlags {
  force?: boolean;
  checkpointOnly?: boolean;
  dryRun?: boolean;
  /** Seconds. */
  timeout: number;
  output: (typeof FORMATS)[number];
}

export function registerDrain(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('drain')
    .argument('<node>', 'the node to drain')
    .description('checkpoint what kcr schedules cover on a node (beforeDrain), then cordon and drain it')
    .option('--force', 'drain even if a checkpoint failed')
    .option('--checkpoint-only', 'checkpoint, but neither cordon nor evict')
    .option('--dry-run', 'only show what would be checkpointed, cordoned and evicted (--dry-run=client)')
    .option(
      '--timeout <duration>',
      'how long to wait for the checkpoints, then for the evictions (90s, 10m, or seconds; default 10m)',
      timeoutSeconds('--timeout'),
      600,
    )
    .option('-o, --output <format>', 'table, json or yaml', outputFormat(FORMATS), 'table');
  addKubeFlags(cmd).action(async (node: string, f: Flags) => {
    const { loadKubeconfig } = await import('../../kube/index.js');
    const { drain } = await import('../../cluster/index.js');
    const { escapeText } = await import('../output/escape.js');
    const { kc } = loadKubeconfig(kubeconfigOptions(f, ctx));
    const say = (line: string) => {
      if (!ctx.quiet) ctx.io.stderr.write(`${line}\n`);
    };
    const result = await drain({
      kc,
      node,
      ...(f.force ? { force: true } : {}),
      ...(f.checkpointOnly ? { checkpointOnly: true } : {}),
      ...(f.dryRun ? { dryRun: true } : {}),
      timeoutMs: f.timeout * 1000,
      signal: ctx.signal,
      onEvent: (e) => {
        const dry = 'dryRun' in e && e.dryRun ? ' (dry run)' : '';
        if (e.type === 'run') say(`schedule ${e.namespace}/${e.schedule}: run ${e.run}`);
        else if (e.type === 'covered')
          say(`checkpoint ${e.namespace}/${e.pod} (schedule ${e.schedule}) (dry run)`);
        else if (e.type === 'checkpointed')
          say(
            `checkpoint ${e.namespace}/${e.pod}: ${e.phase}${e.message ? `: ${escapeText(e.message.split('\n')[0]!)}` : ''}`,
          );
        else if (e.type === 'cordoned') say(`node/${e.node} cordoned${dry}`);
        else if (e.type === 'skipped') say(`ignoring pod ${e.namespace}/${e.pod}: ${e.reason}`);
        else if (e.type === 'eviction-refused')
          say(
            `error when evicting pods/"${e.pod}" -n "${e.namespace}" (will retry after ${Math.round(e.retryMs / 1000)}s): ${escapeText(e.message)}`,
          );
        else say(`evicting pod ${e.namespace}/${e.pod}${dry}`);
      },
    });
    if (f.output === 'json') ctx.io.stdout.write(toJson(result));
    else if (f.output === 'yaml') ctx.io.stdout.write(toYaml(result));
    else {
      for (const c of result.checkpoints)
        ctx.io.stdout.write(`${c.namespace}/${c.pod}\t${c.phase}\t${c.backups.join(',')}\n`);
      for (const c of result.covered)
        ctx.io.stdout.write(`${c.namespace}/${c.pod}\tschedule ${c.schedule}\t(dry run)\n`);
      const dry = result.dryRun ? ' (dry run)' : '';
      ctx.io.stdout.write(
        result.cordoned ? `node/${node} drained${dry}\n` : `node/${node} checkpointed (not cordoned)${dry}\n`,
      );
    }
  });
}
