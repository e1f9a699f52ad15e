/**
 * The parent/child structure of a process list, built in one linear pass and walked without
 * recursion: pstree.img is untrusted, and a crafted one holds 100k siblings, a 100k-deep chain, or
 * a parent cycle (36→37→38→36) in which no process is reachable from a root. Those cycle members are
 * returned apart, so that views show them under a warning instead of dropping them.
 */
export interface ForestInput {
  pid: number;
  ppid: number;
}

export interface Forest<P extends ForestInput> {
  /** Processes whose parent is not in the list (or is themselves), in input order. */
  roots: P[];
  /** Children by parent PID, in input order. */
  children: Map<number, P[]>;
  /** Processes no root leads to: their parent chain loops. */
  inCycles: P[];
  /** The same PID more than once: all but the first are left out of the tree. */
  duplicates: P[];
}

export function processForest<P extends ForestInput>(processes: readonly P[]): Forest<P> {
  const byPid = new Map<number, P>();
  const duplicates: P[] = [];
  for (const p of processes) {
    if (byPid.has(p.pid)) duplicates.push(p);
    else byPid.set(p.pid, p);
  }
  const roots: P[] = [];
  const children = new Map<number, P[]>();
  for (const p of byPid.values()) {
    if (!byPid.has(p.ppid) || p.ppid === p.pid) {
      roots.push(p);
      continue;
    }
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  // Everything reachable from a root; the rest hangs off a cycle.
  const reached = new Set<number>();
  const stack = [...roots];
  while (stack.length > 0) {
    const p = stack.pop()!;
    reached.add(p.pid);
    for (const c of children.get(p.pid) ?? []) stack.push(c);
  }
  const inCycles = [...byPid.values()].filter((p) => !reached.has(p.pid));
  return { roots, children, inCycles, duplicates };
}

/** Each cycle's PIDs in parent order, e.g. `36 → 37 → 38 → 36`, for a warning. */
export function describeCycles(inCycles: readonly ForestInput[]): string[] {
  const parentOf = new Map(inCycles.map((p) => [p.pid, p.ppid]));
  const seen = new Set<number>();
  const out: string[] = [];
  for (const start of inCycles) {
    if (seen.has(start.pid)) continue;
    // Walk up until a PID repeats: that PID is on the cycle (start may only hang below it).
    const path: number[] = [];
    const onPath = new Set<number>();
    let pid: number | undefined = start.pid;
    while (pid !== undefined && !onPath.has(pid) && !seen.has(pid)) {
      onPath.add(pid);
      path.push(pid);
      pid = parentOf.get(pid);
    }
    for (const p of path) seen.add(p);
    if (pid === undefined || !onPath.has(pid)) continue;
    // Parent first, starting from the lowest PID, so that the same cycle always reads the same.
    const cycle = path.slice(path.indexOf(pid)).reverse();
    const low = cycle.indexOf(Math.min(...cycle));
    const rotated = [...cycle.slice(low), ...cycle.slice(0, low)];
    out.push([...rotated, rotated[0]].join(' → '));
  }
  return out;
}
