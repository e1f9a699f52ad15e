/** Human rendering of `kcr diff`: one tree per section, `+` added, `-` removed, `~` changed. */
import type { CheckpointDiff, DiffSide } from '../../forensics/diff/diff.js';
import type { EnvChange } from '../../forensics/diff/process-diff.js';
import type { RootfsEntry } from '../../forensics/diff/rootfs-diff.js';
import type { DumpStats } from '../../forensics/stats.js';
import { formatBytes, formatMicros } from '../../util/units.js';
import { elide } from './elide.js';
import { renderTable } from './table.js';
import { renderTree, type TreeNode } from './tree.js';

/** `A: PATH` and, under it, whose checkpoint it is: on a terminal the path keeps its ends. */
function sideText(label: string, s: DiffSide, width?: number): string {
  const where = [s.namespace, s.pod].filter(Boolean).join('/');
  const archive = width ? elide(s.archive, width - 1 - label.length - 2) : s.archive;
  return `${label}: ${archive}\n   ${where ? `${where}/` : ''}${s.container}${s.checkpointedAt ? `, checkpointed ${s.checkpointedAt}` : ''}\n`;
}

function section(title: string, nodes: TreeNode[], width: number | undefined, none = 'no changes'): string {
  return `${title}\n${nodes.length ? renderTree(nodes, '', width) : `    ${none}\n`}`;
}

function envNode(e: EnvChange): TreeNode {
  if (e.a === undefined) return { label: `+ ${e.name}=${e.b ?? ''}` };
  if (e.b === undefined) return { label: `- ${e.name}=${e.a}` };
  return { label: `~ ${e.name}: ${e.a} -> ${e.b}${e.masked ? ' (values masked)' : ''}` };
}

function processNodes(d: CheckpointDiff): TreeNode[] {
  const p = d.processes;
  const nodes: TreeNode[] = [
    ...p.appeared.map((x) => ({ label: `+ [${x.pid}] ${x.comm}  ${x.cmdline.join(' ')}`.trimEnd() })),
    ...p.gone.map((x) => ({ label: `- [${x.pid}] ${x.comm}  ${x.cmdline.join(' ')}`.trimEnd() })),
  ];
  for (const c of p.changed) {
    const children: TreeNode[] = [];
    if (c.previousComm !== undefined) children.push({ label: `command: ${c.previousComm} -> ${c.comm}` });
    if (c.cmdline) children.push({ label: `cmdline: ${c.cmdline.a.join(' ')} -> ${c.cmdline.b.join(' ')}` });
    if (c.threads) children.push({ label: `threads: ${c.threads.a} -> ${c.threads.b}` });
    if (c.state) children.push({ label: `state: ${c.state.a} -> ${c.state.b}` });
    if (c.env.length) children.push({ label: 'environment', children: c.env.map(envNode) });
    nodes.push({ label: `~ [${c.pid}] ${c.comm}`, children });
  }
  for (const u of p.unchanged ?? []) nodes.push({ label: `  [${u.pid}] ${u.comm} (unchanged)` });
  return nodes;
}

function fileNodes(d: CheckpointDiff): TreeNode[] {
  const f = d.files;
  const moved = (x: (typeof f.changed)[number]) => {
    const parts: string[] = [];
    if (x.pos && x.pos.a !== x.pos.b) parts.push(`pos ${x.pos.a ?? '?'} -> ${x.pos.b ?? '?'}`);
    if (x.size && x.size.a !== x.size.b) parts.push(`size ${x.size.a ?? '?'} -> ${x.size.b ?? '?'}`);
    return parts.join(', ');
  };
  return [
    ...f.opened.map((x) => ({ label: `+ pid ${x.pid} fd ${x.fd} ${x.path}` })),
    ...f.closed.map((x) => ({ label: `- pid ${x.pid} fd ${x.fd} ${x.path}` })),
    ...f.changed.map((x) => ({ label: `~ pid ${x.pid} fd ${x.fd} ${x.path}: ${moved(x)}` })),
  ];
}

function socketNodes(d: CheckpointDiff): TreeNode[] {
  const s = d.sockets;
  return [
    ...s.opened.map((x) => ({ label: `+ pid ${x.pid} fd ${x.fd} ${x.description}` })),
    ...s.closed.map((x) => ({ label: `- pid ${x.pid} fd ${x.fd} ${x.description}` })),
    ...s.changed.map((x) => ({
      label: `~ pid ${x.pid} fd ${x.fd} ${x.description}: ${x.state?.a} -> ${x.state?.b}`,
    })),
  ];
}

const entryText = (e: RootfsEntry) =>
  e.type === 'file' ? formatBytes(e.size) : `${e.type}${e.linkname ? ` -> ${e.linkname}` : ''}`;

function rootfsNodes(d: CheckpointDiff): TreeNode[] {
  const r = d.rootfs;
  return [
    ...r.added.map((e) => ({ label: `+ ${e.path} (${entryText(e)})` })),
    ...r.changed.map((c) => ({ label: `~ ${c.path} (${entryText(c.a)} -> ${entryText(c.b)})` })),
    ...r.deleted.map((p) => ({ label: `- ${p} (deleted)` })),
    ...r.reverted.map((p) => ({ label: `  ${p} (back to the image's version)` })),
    ...(r.unchanged ?? []).map((e) => ({ label: `  ${e.path} (unchanged, ${entryText(e)})` })),
  ];
}

function memoryTable(d: CheckpointDiff): string {
  const size = (v: number | undefined) => (v === undefined ? '-' : formatBytes(v));
  return renderTable(d.memory, [
    { header: 'PID', value: (m) => m.pid, align: 'right' },
    { header: 'COMMAND', value: (m) => m.comm },
    { header: 'A', value: (m) => size(m.a), align: 'right' },
    { header: 'B', value: (m) => size(m.b), align: 'right' },
    {
      header: 'GROWTH',
      value: (m) => (m.delta >= 0 ? '+' : '-') + formatBytes(Math.abs(m.delta)),
      align: 'right',
    },
    { header: 'VMAS', value: (m) => `${m.vmas.a ?? '-'} -> ${m.vmas.b ?? '-'}`, align: 'right' },
  ]);
}

const STAT_ROWS: Array<[string, keyof DumpStats, boolean]> = [
  ['frozen time', 'frozenTimeUs', true],
  ['freezing time', 'freezingTimeUs', true],
  ['memory dump time', 'memdumpTimeUs', true],
  ['memory write time', 'memwriteTimeUs', true],
  ['pages scanned', 'pagesScanned', false],
  ['pages written', 'pagesWritten', false],
  ['pages skipped (parent)', 'pagesSkippedParent', false],
];

function statsTable(d: CheckpointDiff): string {
  const { a, b } = d.stats;
  if (!a && !b) return '    no stats-dump in either archive\n';
  const show = (s: DumpStats | undefined, key: keyof DumpStats, time: boolean) =>
    s === undefined ? '-' : time ? formatMicros(s[key]) : String(s[key]);
  return renderTable(STAT_ROWS, [
    { header: 'STATISTIC', value: ([name]) => name },
    { header: 'A', value: ([, key, time]) => show(a, key, time), align: 'right' },
    { header: 'B', value: ([, key, time]) => show(b, key, time), align: 'right' },
  ]);
}

/** `width`: the terminal's, when stdout is one (long paths keep their ends, long lines wrap under themselves). */
export function diffText(d: CheckpointDiff, width?: number): string {
  return [
    sideText('A', d.a, width) + sideText('B', d.b, width),
    section('Processes', processNodes(d), width),
    section('Open files (processes in both)', fileNodes(d), width),
    section('Sockets (processes in both)', socketNodes(d), width),
    section('Rootfs', rootfsNodes(d), width),
    `Memory (dumped)\n${memoryTable(d)}`,
    `Dump statistics\n${statsTable(d)}`,
  ].join('\n');
}
