/** Human rendering of `kcr inspect`: a header, the process tree, then one section per view. */
import { RESTORER_NAMES, type Restorer } from '../../archive/restorers.js';
import type { EnvVar } from '../../forensics/cmdline-env.js';
import type { ContainerMetadata } from '../../forensics/container-config.js';
import type { Inspection, InspectedProcess } from '../../forensics/inspect.js';
import type { ProcessFiles } from '../../forensics/open-files.js';
import type { SocketInfo } from '../../forensics/sockets.js';
import { formatBytes, formatMicros } from '../../util/units.js';
import { elide } from './elide.js';
import { renderTable } from './table.js';
import { renderTree, type TreeNode } from './tree.js';
import { describeCycles, processForest } from '../../forensics/process-forest.js';

/** The runtimes that restore from a checkpoint image, and the setup each needs (docs/checkpoint-format.md §E). */
const RESTORES_ON: Record<Restorer, string> = {
  'cri-o': 'CRI-O >= 1.25 (kcr setup crio)',
  containerd: 'containerd 2.0 to 2.3 (kcr setup containerd)',
};

/** One line, within 80 columns after its label: who restores the checkpoint, and who cannot. */
export function restoresOn(restorableBy: readonly Restorer[]): string {
  const not = (Object.keys(RESTORES_ON) as Restorer[]).filter((r) => !restorableBy.includes(r));
  if (restorableBy.length === 0) return 'no Kubernetes runtime (neither CRI-O nor containerd)';
  const yes = restorableBy.map((r) => RESTORES_ON[r]).join('; ');
  return not.length ? `${yes}; not ${not.map((r) => RESTORER_NAMES[r]).join(' or ')}` : yes;
}

function header(r: Inspection, width?: number): string {
  const c = r.checkpoint;
  const where = [c.pod && `pod ${c.pod}`, c.namespace && `namespace ${c.namespace}`]
    .filter(Boolean)
    .join(', ');
  const lines = [
    `Container:     ${c.container}${where ? ` (${where})` : ''}`,
    `Image:         ${c.image ?? '<unknown>'}`,
    `Engine:        ${c.engine}${c.runtime ? ` (runtime ${c.runtime}${c.ociRuntime && c.ociRuntime !== c.runtime ? `, OCI runtime ${c.ociRuntime}` : ''})` : ''}`,
    `Restores on:   ${restoresOn(c.restorableBy)}`,
    `Created:       ${c.createdAt ?? '<unknown>'}`,
    `Checkpointed:  ${c.checkpointedAt ?? '<unknown>'}`,
    `Archive:       ${width ? elide(c.archive, width - 16) : c.archive}`,
    `Size:          ${formatBytes(c.sizes.total)}${c.compression !== 'none' ? ` (${c.compression})` : ''}; memory ${formatBytes(c.sizes.memoryPages)}, rootfs diff ${formatBytes(c.sizes.rootfsDiff)}`,
    `CRIU:          image version ${r.criu.imageVersion ?? '?'}, ${r.criu.architecture ?? 'unknown architecture'}, ${r.criu.images} images`,
  ];
  if (c.ip) lines.splice(3, 0, `IP:            ${c.ip}`);
  return lines.join('\n') + '\n';
}

const envLabel = (e: EnvVar) => (e.value === '' && !e.masked ? e.name : `${e.name}=${e.value}`);

/** One process's node: its label and detail children (its child processes are attached by the caller). */
function processNode(p: InspectedProcess, configured?: EnvVar[]): TreeNode {
  const threads = p.threads.length > 1 ? `, ${p.threads.length} threads` : '';
  const exit = p.exitCode !== undefined ? `, exit ${p.exitCode}` : '';
  const children: TreeNode[] = [];
  if (p.cmdline)
    children.push({
      label: `cmdline: ${p.cmdline.join(' ')}${p.titleRewritten ? '  (argv rewritten by the process)' : ''}`,
    });
  if (p.env) {
    const notes = [
      'read from memory',
      p.argsIncomplete ? 'partly not in the dump' : undefined,
      p.state === 'zombie' ? 'a zombie has no memory' : undefined,
      p.env.length === 0 && configured?.length && p.state !== 'zombie'
        ? `the process cleared it; the container was configured with ${configured.length}, see Configured environment`
        : undefined,
    ].filter(Boolean);
    children.push({
      label: `env (${p.env.length}; ${notes.join('; ')})`,
      children: p.env.map((e) => ({ label: envLabel(e) })),
    });
  }
  if (p.threads.length > 1) {
    children.push({ label: 'threads', children: p.threads.map((t) => ({ label: `${t.tid} ${t.comm}` })) });
  }
  return {
    label: `[${p.pid}] ${p.comm}  (${p.state}${threads}${p.uid !== undefined ? `, uid ${p.uid}` : ''}${exit})`,
    children,
  };
}

/**
 * The process tree, built in linear time without recursion (see processForest). Processes whose
 * parent chain loops, and repeated PIDs, are shown under a warning rather than silently dropped.
 */
export function processTreeText(
  processes: InspectedProcess[],
  configured?: EnvVar[],
  width?: number,
): string {
  const forest = processForest(processes);
  const nodes = new Map<InspectedProcess, TreeNode>();
  const nodeOf = (p: InspectedProcess) => {
    let n = nodes.get(p);
    if (!n) nodes.set(p, (n = processNode(p, configured)));
    return n;
  };
  const stack = [...forest.roots];
  while (stack.length > 0) {
    const p = stack.pop()!;
    const node = nodeOf(p);
    for (const child of forest.children.get(p.pid) ?? []) {
      node.children!.push(nodeOf(child));
      stack.push(child);
    }
  }
  const top = forest.roots.map(nodeOf);
  if (forest.inCycles.length > 0) {
    top.push({
      label: `warning: ${forest.inCycles.length} processes in a parent cycle (${describeCycles(forest.inCycles).join('; ')}); the archive's pstree.img is inconsistent`,
      children: forest.inCycles.map((p) => ({
        ...processNode(p, configured),
        label: `${processNode(p).label}  parent ${p.ppid}`,
      })),
    });
  }
  if (forest.duplicates.length > 0) {
    top.push({
      label: `warning: ${forest.duplicates.length} repeated PIDs in pstree.img; the first of each is shown above`,
      children: forest.duplicates.map((p) => processNode(p, configured)),
    });
  }
  return renderTree(top, '', width);
}

function metadataText(m: ContainerMetadata, width?: number): string {
  const nodes: TreeNode[] = [];
  if (m.process) {
    const p = m.process;
    nodes.push({
      label: 'process (spec.dump)',
      children: [
        ...(p.args ? [{ label: `args: ${p.args.join(' ')}` }] : []),
        ...(p.cwd !== undefined ? [{ label: `cwd: ${p.cwd}` }] : []),
        ...(p.uid !== undefined ? [{ label: `user: ${p.uid}:${p.gid ?? 0}` }] : []),
        ...(m.hostname ? [{ label: `hostname: ${m.hostname}` }] : []),
      ],
    });
  }
  const annotations = Object.entries(m.annotations);
  nodes.push({
    label: `annotations (spec.dump, ${annotations.length})`,
    children: annotations.map(([k, v]) => ({ label: `${k}: ${v}` })),
  });
  if (m.config) {
    nodes.push({
      label: 'config.dump',
      children: [
        ...Object.entries(m.config).map(([k, v]) => ({ label: `${k}: ${String(v)}` })),
        ...(m.configNested?.length ? [{ label: `(also: ${m.configNested.join(', ')})` }] : []),
      ],
    });
  }
  for (const [label, fields] of [
    ['status.dump', m.statusDump],
    ['status (containerd)', m.status],
  ] as const) {
    if (fields)
      nodes.push({
        label,
        children: Object.entries(fields).map(([k, v]) => ({ label: `${k}: ${String(v)}` })),
      });
  }
  return 'Metadata\n' + renderTree(nodes, '', width);
}

function filesText(files: ProcessFiles[], width?: number): string {
  const nodes = files.map((pf): TreeNode => ({
    label: `[${pf.pid}] ${pf.comm}`,
    children: [
      ...pf.fds.map((f) => {
        const extra = [
          f.flags,
          f.pos !== undefined && f.type === 'REG' ? `pos ${f.pos}` : undefined,
          f.deleted ? `DELETED (${f.remap?.toLowerCase() ?? 'remapped'})` : undefined,
          f.end ? `${f.end} end` : undefined,
          f.peers ? `other ends: ${f.peers.map((p) => `pid ${p.pid} fd ${p.fd}`).join(', ')}` : undefined,
          f.queued ? `${f.queued.bytes} bytes queued: "${f.queued.head}"` : undefined,
        ].filter(Boolean);
        return {
          label: `${String(f.fd).padStart(3)}  ${f.type.padEnd(9)} ${f.path}${extra.length ? `  ${extra.join(', ')}` : ''}`,
        };
      }),
      ...(pf.cwd ? [{ label: `cwd  ${pf.cwd}` }] : []),
      ...(pf.root ? [{ label: `root ${pf.root}` }] : []),
    ],
  }));
  return renderTree(nodes, '', width);
}

function socketsText(list: SocketInfo[], width?: number): string {
  return renderTable(
    list,
    [
      { header: 'PID', value: (s) => s.pid, align: 'right' },
      { header: 'FD', value: (s) => s.fd, align: 'right' },
      {
        header: 'PROTO',
        value: (s) =>
          s.family === 'unix'
            ? `unix/${s.type}`
            : `${s.protocol ?? s.type}${s.family === 'inet6' ? '6' : ''}`,
      },
      { header: 'STATE', value: (s) => s.state },
      { header: 'LOCAL', value: (s) => s.local ?? s.path ?? '', shrink: true, minWidth: 14 },
      {
        header: 'REMOTE',
        value: (s) =>
          s.remote ??
          (s.peers
            ? s.peers.map((p) => `pid ${p.pid} fd ${p.fd}`).join(', ')
            : s.peerInode
              ? `inode ${s.peerInode}`
              : ''),
        shrink: true,
        minWidth: 14,
      },
      { header: 'RECV-Q', value: (s) => s.receiveQueue ?? 0, align: 'right', optional: true },
      { header: 'SEND-Q', value: (s) => s.sendQueue ?? 0, align: 'right', optional: true },
      { header: 'INODE', value: (s) => s.inode, align: 'right', optional: true },
    ],
    { width },
  );
}

/**
 * `width`: the terminal's, when stdout is one: long cells lose their middle and the low-value
 * columns (socket queues and inodes) are left out; off a terminal everything is printed whole.
 */
export function inspectionText(r: Inspection, width?: number): string {
  const fit = { width };
  const sections: string[] = [header(r, width)];
  if (r.metadata) sections.push(metadataText(r.metadata, width));
  if (r.processes) sections.push('Process tree\n' + processTreeText(r.processes, r.configuredEnv, width));
  if (r.configuredEnv) {
    sections.push(
      `Configured environment (spec.dump process.env, ${r.configuredEnv.length})\n` +
        (r.configuredEnv.length
          ? renderTree(
              r.configuredEnv.map((e) => ({ label: envLabel(e) })),
              '',
              width,
            )
          : '(none)\n'),
    );
  }
  if (r.files) sections.push('Open files\n' + filesText(r.files, width));
  if (r.sockets) sections.push('Sockets\n' + (r.sockets.length ? socketsText(r.sockets, width) : '(none)\n'));
  if (r.mounts) {
    sections.push(
      'Mounts (runtime)\n' +
        renderTable(
          r.mounts.runtime,
          [
            { header: 'DESTINATION', value: (m) => m.destination, shrink: true },
            { header: 'TYPE', value: (m) => m.type },
            { header: 'SOURCE', value: (m) => m.source, shrink: true },
            { header: 'OPTIONS', value: (m) => m.options.join(','), shrink: true },
          ],
          fit,
        ),
      'Mounts (CRIU)\n' +
        renderTable(
          r.mounts.criu,
          [
            { header: 'ID', value: (m) => m.mountId, align: 'right' },
            { header: 'PARENT', value: (m) => m.parentId, align: 'right' },
            { header: 'MOUNTPOINT', value: (m) => m.mountpoint, shrink: true },
            { header: 'TYPE', value: (m) => m.fstype },
            { header: 'SOURCE', value: (m) => m.source, shrink: true },
            { header: 'EXTERNAL', value: (m) => m.external ?? '-', shrink: true },
          ],
          fit,
        ),
    );
  }
  if (r.rootfs) {
    const lines = [
      ...r.rootfs.changed.map(
        (f) => `  A/M  ${f.path}  (${formatBytes(f.size)}, ${f.mode})${f.unsafe ? '  UNSAFE NAME' : ''}`,
      ),
      ...r.rootfs.deleted.map((p) => `  D    ${p}`),
    ];
    sections.push('Rootfs changes\n' + (lines.length ? lines.join('\n') + '\n' : '(none)\n'));
  }
  if (r.stats) {
    const s = r.stats;
    sections.push(
      'CRIU dump statistics\n' +
        [
          `  freezing time   ${formatMicros(s.freezingTimeUs)}`,
          `  frozen time     ${formatMicros(s.frozenTimeUs)}`,
          `  memdump time    ${formatMicros(s.memdumpTimeUs)}`,
          `  memwrite time   ${formatMicros(s.memwriteTimeUs)}`,
          `  pages scanned   ${s.pagesScanned}`,
          `  pages written   ${s.pagesWritten}`,
        ].join('\n') +
        '\n',
    );
  }
  if (r.log) {
    const body = r.log.lines
      .map((l) => `  ${l.time ? `${l.time} ` : ''}${l.stream === 'stderr' ? '[stderr] ' : ''}${l.text}`)
      .join('\n');
    sections.push(
      `Container log${r.log.member ? ` (${r.log.member}${r.log.truncated ? ', tail' : ''})` : ''}\n${body ? body + '\n' : '(empty)\n'}`,
    );
  }
  return sections.join('\n');
}
