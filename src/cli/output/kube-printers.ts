/**
 * Renderings of the Kubernetes commands' results. The JSON shapes here are the stable `-o json`
 * / `--format json` contract: plain fields, errors as {code, message, hint}.
 */
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import type { KcrError } from '../../errors.js';
import type { DoctorReport } from '../../kube/index.js';
import type { CheckpointOutcome, MigrateResult, RestoreResult } from '../../ops/index.js';
import { formatBytes } from '../../util/units.js';
import { toJson, toYaml } from './format.js';
import { renderTable, wrapText, type Column } from './table.js';

export type CheckpointFormat = 'table' | 'json' | 'yaml';

function errorJson(err: KcrError | undefined) {
  return err
    ? { error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) } }
    : {};
}

export function checkpointJson(outcomes: CheckpointOutcome[]) {
  return outcomes.map((o) => ({
    ...o.target,
    via: o.via,
    ...(o.archive ? { archive: o.archive } : {}),
    ...(o.copy
      ? { local: { path: o.copy.path, size: o.copy.size, sha256: o.copy.sha256, podJson: o.copy.podJson } }
      : {}),
    ...(o.podJson ? { podJson: o.podJson } : {}),
    ...errorJson(o.error),
  }));
}

/**
 * On a terminal too narrow for the table, each checkpoint is a block of `HEADER  value` lines:
 * the archive paths and the sha256 are what a user copies next, so they are never cut.
 */
export function renderCheckpointOutcomes(
  outcomes: CheckpointOutcome[],
  format: CheckpointFormat,
  width?: number,
): string {
  if (format === 'json') return toJson(checkpointJson(outcomes));
  if (format === 'yaml') return toYaml(checkpointJson(outcomes));
  const copied = outcomes.some((o) => o.copy);
  const columns: Column<CheckpointOutcome>[] = [
    { header: 'NAMESPACE', value: (o) => o.target.namespace },
    { header: 'POD', value: (o) => o.target.pod },
    { header: 'CONTAINER', value: (o) => o.target.container },
    { header: 'NODE', value: (o) => o.target.node },
    { header: copied ? 'ARCHIVE ON NODE' : 'ARCHIVE', value: (o) => o.archive },
    ...(outcomes.some((o) => o.podJson)
      ? [{ header: 'POD OBJECT', value: (o: CheckpointOutcome) => o.podJson }]
      : []),
    ...(copied
      ? [
          { header: 'LOCAL COPY', value: (o: CheckpointOutcome) => o.copy?.path },
          {
            header: 'SIZE',
            value: (o: CheckpointOutcome) => (o.copy ? formatBytes(o.copy.size) : undefined),
            align: 'right' as const,
          },
          { header: 'SHA256', value: (o: CheckpointOutcome) => o.copy?.sha256 },
        ]
      : []),
  ];
  return renderTable(outcomes, columns, { width, expandWhenNarrow: true });
}

export type ObjectFormat = 'json' | 'yaml';

/** Objects as kubectl prints them: one object, or a v1 List; YAML as one document per object. */
export function renderObjects(objects: (V1Pod | V1Service)[], format: ObjectFormat): string {
  const plain = JSON.parse(JSON.stringify(objects)) as object[];
  if (format === 'json')
    return toJson(plain.length === 1 ? plain[0] : { apiVersion: 'v1', kind: 'List', items: plain });
  return plain.map((o) => toYaml(o)).join('---\n');
}

export function restoreLines(r: RestoreResult): string {
  const suffix = r.dryRun ? ' (dry run)' : '';
  const lines = [`pod/${r.pod.metadata?.name} created${suffix} on ${r.node} from ${r.image}`];
  if (r.service) lines.push(`service/${r.service.metadata?.name} created${suffix}`);
  if (r.running) lines.push(`pod/${r.pod.metadata?.name} running`);
  return lines.join('\n') + '\n';
}

export function migrateJson(r: MigrateResult) {
  return {
    source: { ...r.checkpoint.target, archive: r.checkpoint.archive },
    image: r.restore.image,
    pod: {
      namespace: r.restore.pod.metadata?.namespace,
      name: r.restore.pod.metadata?.name,
      node: r.restore.node,
    },
    deletedSource: r.deletedSource,
  };
}

export function renderMigrate(r: MigrateResult, format: 'text' | 'json' | 'yaml'): string {
  if (format === 'json') return toJson(migrateJson(r));
  if (format === 'yaml') return toYaml(migrateJson(r));
  const t = r.checkpoint.target;
  const lines = [
    `checkpointed ${t.namespace}/${t.pod}/${t.container} on ${t.node}`,
    `pushed ${r.restore.image}`,
    `pod/${r.restore.pod.metadata?.name} running on ${r.restore.node}`,
    ...(r.deletedSource ? [`pod/${t.pod} deleted`] : []),
  ];
  return lines.join('\n') + '\n';
}

const MARK: Record<string, string> = { ok: 'ok', warn: 'WARN', fail: 'FAIL' };

/** On a terminal the findings wrap within their column, and the fixes at the width. */
export function renderDoctor(
  report: DoctorReport,
  format: 'table' | 'json' | 'yaml',
  width?: number,
): string {
  if (format === 'json') return toJson(report);
  if (format === 'yaml') return toYaml(report);
  const table = renderTable(
    report.findings,
    [
      { header: 'CHECK', value: (f) => f.check },
      { header: 'SUBJECT', value: (f) => f.subject },
      { header: 'STATUS', value: (f) => MARK[f.status] },
      { header: 'FINDING', value: (f) => f.message, wrap: true },
    ],
    { width },
  );
  const fixes = report.findings
    .filter((f) => f.status !== 'ok' && f.fix)
    .map((f) => `fix (${f.check} ${f.subject}): ${f.fix}`)
    .map((line) => (width ? wrapText(line, width - 3).join('\n  ') : line));
  const verdict = report.ready
    ? 'ready: this cluster can checkpoint and restore'
    : 'not ready: fix the FAIL findings above';
  return [table.trimEnd(), ...(fixes.length ? ['', ...fixes] : []), '', verdict, ''].join('\n');
}
