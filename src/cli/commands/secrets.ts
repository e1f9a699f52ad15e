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
import { renderTable, tableWidth } from '../output/table.js';
import { ARCHIVE_ARG } from '../address-options.js';

const FORMATS = ['table', 'json', 'yaml'] as const;

/** Exit code when secrets were found. */
export const SECRETS_FOUND = 3;

/** On a terminal the locations lose their middle; a value is cut only while it is masked. */
function findingsTable(findings: SecretFinding[], showSecrets: boolean, width?: number): string {
  return renderTable(
    findings,
    [
      { header: 'SOURCE', value: (f) => f.source },
      { header: 'WHERE', value: (f) => f.location, shrink: true },
      { header: 'RULE', value: (f) => f.rule, shrink: true },
      { header: 'VALUE', value: (f) => f.value, shrink: !showSecrets },
    ],
    { width },
  );
}

const counted = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What was found where, in lines that fit 80 columns (stderr: the findings are the data). */
export function scanSummary(scan: {
  findings: readonly unknown[];
  scanned: { envVars: number; files: number; memoryBytes?: number | undefined };
}): string {
  const found = scan.findings.length
    ? `${counted(scan.findings.length, 'secret')} found`
    : 'no secrets found';
  const where = [
    counted(scan.scanned.envVars, 'environment variable'),
    counted(scan.scanned.files, 'rootfs file'),
    ...(scan.scanned.memoryBytes !== undefined ? [`${formatBytes(scan.scanned.memoryBytes)} of memory`] : []),
  ];
  const last = where.pop()!;
  const line = `${found} in ${where.length ? `${where.join(', ')} and ${last}` : last}\n`;
  return scan.scanned.memoryBytes === undefined
    ? `${line}memory not scanned: add --memory to scan it too\n`
    : line;
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
        else if (scan.findings.length)
          ctx.io.stdout.write(
            findingsTable(scan.findings, Boolean(f.showSecrets), tableWidth(ctx.io.stdout)),
          );
        if (!ctx.quiet) ctx.io.stderr.write(scanSummary(scan));
        if (scan.findings.length) ctx.exitCode = SECRETS_FOUND;
      },
    );
}
