/** What `kcr checkpoint --pod-level` and `kcr restore podcheckpoint/NAME` print. */
import type { PodCheckpointResult, RestorePodCheckpointResult } from '../../ops/index.js';
import { toJson, toYaml } from './format.js';
import { renderTable } from './table.js';

/** Table: one row per PodCheckpoint; json/yaml: the PodCheckpoint object as the API server has it. */
export function renderPodCheckpoint(
  r: PodCheckpointResult,
  format: 'table' | 'json' | 'yaml',
  width?: number,
): string {
  if (format === 'json') return toJson(r.podCheckpoint);
  if (format === 'yaml') return toYaml(r.podCheckpoint);
  return renderTable(
    [r],
    [
      { header: 'NAMESPACE', value: (x) => x.namespace },
      { header: 'PODCHECKPOINT', value: (x) => x.name },
      { header: 'POD', value: (x) => x.pod },
      { header: 'NODE', value: (x) => x.node },
      { header: 'CONTAINERS', value: (x) => x.containers.join(',') },
      { header: 'DATA ON NODE', value: (x) => x.nodePath },
    ],
    { width, expandWhenNarrow: true },
  );
}

export function restorePodCheckpointLines(r: RestorePodCheckpointResult, from: string): string {
  const name = r.pod.metadata?.name ?? '?';
  const how =
    r.method === 'restoreFrom' ? `restoreFrom ${from}` : `${from} through ${r.image?.image ?? 'an image'}`;
  const lines = [`pod/${name} created on ${r.node} (${how})`];
  if (r.running) lines.push(`pod/${name} running`);
  return lines.join('\n') + '\n';
}
