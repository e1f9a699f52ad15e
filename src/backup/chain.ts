/**
 * The hash chain over the backups of one container. Each record holds the previous record's hash,
 * so a backup removed behind kcr's back (its successor points at a hash nobody has), an altered
 * record (its hash no longer matches its facts) and a reordered one (it points at a later one)
 * all show. Pruning leaves a tombstone that keeps the removed record's sealed facts, so the chain
 * stays whole.
 */
import { computeRecordHash, type StoreEntry } from './record.js';

export type ChainProblemKind = 'altered' | 'missing' | 'reordered' | 'fork';

export interface ChainProblem {
  kind: ChainProblemKind;
  chain: string;
  /** The backup whose link or hash is wrong. */
  id: string;
  message: string;
}

export interface ChainReport {
  chains: number;
  entries: number;
  tombstones: number;
  problems: ChainProblem[];
}

/** The newest entry of chain `key`: the one no other entry points back to (newest if several). */
export function chainHead(entries: readonly StoreEntry[], key: string): StoreEntry | undefined {
  const members = entries.filter((e) => e.chain.key === key);
  const referenced = new Set(members.map((e) => e.chain.previousHash));
  const heads = members.filter((e) => !referenced.has(e.hash));
  const pool = heads.length > 0 ? heads : members;
  return pool.sort(byCreation).at(-1);
}

function byCreation(a: StoreEntry, b: StoreEntry): number {
  return a.createdAt < b.createdAt
    ? -1
    : a.createdAt > b.createdAt
      ? 1
      : a.id < b.id
        ? -1
        : a.id > b.id
          ? 1
          : 0;
}

export function verifyChains(entries: readonly StoreEntry[]): ChainReport {
  const problems: ChainProblem[] = [];
  const chains = new Map<string, StoreEntry[]>();
  for (const entry of entries) {
    const list = chains.get(entry.chain.key) ?? [];
    list.push(entry);
    chains.set(entry.chain.key, list);
  }
  for (const [key, members] of chains) {
    const byHash = new Map(members.map((e) => [e.hash, e]));
    const successors = new Map<string | null, StoreEntry[]>();
    for (const entry of members.sort(byCreation)) {
      const add = (kind: ChainProblemKind, message: string) =>
        problems.push({ kind, chain: key, id: entry.id, message });
      if (computeRecordHash(entry) !== entry.hash) {
        add(
          'altered',
          `the record of ${entry.id} does not match its hash: it was changed after it was written`,
        );
      }
      const previous = entry.chain.previousHash;
      const list = successors.get(previous) ?? [];
      list.push(entry);
      successors.set(previous, list);
      if (previous === null) continue;
      const before = byHash.get(previous);
      if (!before) {
        add('missing', `the backup before ${entry.id} is gone without a tombstone (removed outside kcr)`);
      } else if (byCreation(before, entry) >= 0) {
        add('reordered', `${entry.id} points back to ${before.id}, which is not older`);
      }
    }
    for (const [previous, list] of successors) {
      if (list.length < 2) continue;
      const ids = list.map((e) => e.id).join(', ');
      const at = previous === null ? 'the start' : `${byHash.get(previous)?.id ?? previous.slice(0, 12)}`;
      for (const entry of list.slice(1)) {
        problems.push({
          kind: 'fork',
          chain: key,
          id: entry.id,
          message: `${ids} all follow ${at} (taken concurrently, or one was inserted)`,
        });
      }
    }
  }
  return {
    chains: chains.size,
    entries: entries.length,
    tombstones: entries.filter((e) => e.kind === 'Tombstone').length,
    problems,
  };
}
