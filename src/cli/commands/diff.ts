/** `kcr diff A B`: what changed in a container between two of its checkpoints. */
import type { Command } from 'commander';
import { withCheckpoint } from '../../forensics/checkpoint.js';
import { diffCheckpoints } from '../../forensics/diff/diff.js';
import type { CliContext } from '../context.js';
import { outputFormat } from '../options.js';
import { diffText } from '../output/diff-printer.js';
import { toJson, toYaml } from '../output/format.js';
import { tableWidth } from '../output/table.js';

const FORMATS = ['tree', 'json', 'yaml'] as const;

interface DiffFlags {
  output: (typeof FORMATS)[number];
  showUnchanged?: boolean;
  showSecrets?: boolean;
  force?: boolean;
}

export function registerDiff(program: Command, ctx: CliContext): void {
  program
    .command('diff')
    .description(
      'compare two checkpoints of one container: processes, command lines, environment, files, sockets, rootfs, memory, dump statistics',
    )
    .argument('<a>', 'the earlier checkpoint archive')
    .argument('<b>', 'the later checkpoint archive')
    .option('-o, --output <format>', 'tree, json or yaml', outputFormat(FORMATS), 'tree')
    .option('--show-unchanged', 'also list processes and rootfs files that did not change')
    .option('--show-secrets', 'do not mask secret-looking environment values')
    .option('--force', 'compare even when the archives are of different containers')
    .action(async (pathA: string, pathB: string, f: DiffFlags) => {
      const diff = await withCheckpoint(
        pathA,
        (a) =>
          withCheckpoint(
            pathB,
            (b) =>
              diffCheckpoints(a, b, {
                force: f.force,
                showUnchanged: f.showUnchanged,
                showSecrets: f.showSecrets,
              }),
            ctx.archive,
          ),
        ctx.archive,
      );
      if (!ctx.quiet) for (const w of diff.warnings) ctx.io.stderr.write(`warning: ${w}\n`);
      ctx.io.stdout.write(
        f.output === 'json'
          ? toJson(diff)
          : f.output === 'yaml'
            ? toYaml(diff)
            : diffText(diff, tableWidth(ctx.io.stdout)),
      );
    });
}
