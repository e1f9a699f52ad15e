/**
 * `kcr secrets ARCHIVE [--memory]`: secrets an attacker holding the archive would find. Exit
 * code 3 when there are any, so CI pipelines can stop an archive from leaving the node.
 */
import type { Command } from 'commander';
import { withCheckpoint } from '../../forensics/checkpoint.js';
import { scanSecrets, type SecretFinding } from '../../forensics/secrets/secret-scan.js';
import type { CliContext } from '../context.js';
import { withProgress } from '../progress.js';
import { formatBytes } from '../../util/units.js';
import { outputFormat } from '../options.js';
import { toJson, toYaml } from '../output/format.js';
import { renderTable } from '../output/table.js';
import { ARCHIVE_ARG } from '../address-options.js';

const FORMATS = ['table', 'json', 'yaml'] as const;

/** Exit code when secrets were found. */
export const SECRETS_FOUND = 3;

function findingsTable(findings: SecretFinding[]): string {
  return renderTable(findings, [
    { header: 'SOURCE', value: (f) => f.source },
    { header: 'WHERE', value: (f) => f.location },
    { header: 'RULE', value: (f) => f.rule },
    { header: 'VALUE', value: (f) => f.value },
  ]);
}

export function registerSecrets(program: Command, ctx: CliContext): void {
  program
    .command('secrets')
    .description(
      'find secrets an attacker holding the archive would find (environment, rootfs files, and memory with --memory); exit code 3 when found',
    )
    .argument('<archive>', ARCHIVE_ARG)
    .option('--memory', 'also scan all dumped memory')
    .option('--show-secrets', 'print the values instead of masking them')
    .option('-o, --output <format>', 'table, json or yaml', outputFormat(FORMATS), 'table')
    .action(
      async (
        path: string,
        f: { memory?: boolean; showSecrets?: boolean; output: (typeof FORMATS)[number] },
      ) => {
        // Scanning memory takes seconds on large archives: a bar on a terminal says it is alive.
        const scan = await withProgress(ctx, (progress) =>
          withCheckpoint(
            path,
            (cp) =>
              scanSecrets(cp, {
                memory: f.memory,
                showSecrets: f.showSecrets,
                signal: ctx.signal,
                ...(progress.report
                  ? {
                      onMemoryProgress: (transferred: number, total: number) =>
                        progress.report!({ verb: 'scanning', label: 'memory', transferred, total }),
                    }
                  : {}),
              }),
            ctx.archive,
          ),
        );
        if (f.output === 'json') ctx.io.stdout.write(toJson(scan));
        else if (f.output === 'yaml') ctx.io.stdout.write(toYaml(scan));
        else if (scan.findings.length) ctx.io.stdout.write(findingsTable(scan.findings));
        if (!ctx.quiet) {
          const where =
            `${scan.scanned.envVars} environment variables, ${scan.scanned.files} rootfs files` +
            (scan.scanned.memoryBytes !== undefined
              ? `, ${formatBytes(scan.scanned.memoryBytes)} of memory`
              : ' (add --memory to scan memory too)');
          ctx.io.stderr.write(
            `${scan.findings.length ? `${scan.findings.length} secret${scan.findings.length === 1 ? '' : 's'} found` : 'no secrets found'} in ${where}\n`,
          );
        }
        if (scan.findings.length) ctx.exitCode = SECRETS_FOUND;
      },
    );
}
