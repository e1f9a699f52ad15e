import { describe, expect, it } from 'vitest';
import { chainHead, verifyChains } from './chain.js';
import { RECORD_API_VERSION, sealRecord, toTombstone, type BackupRecord, type StoreEntry } from './record.js';

/** A history of `n` backups of one container, chained as backupArchive chains them. */
function history(n: number, container = 'web'): BackupRecord[] {
  const out: BackupRecord[] = [];
  for (let i = 0; i < n; i++) {
    const at = new Date(Date.UTC(2026, 11, 1, i));
    out.push(
      sealRecord({
        apiVersion: RECORD_API_VERSION,
        kind: 'Backup',
        id: `202612${String(1).padStart(2, '0')}t${String(i).padStart(2, '0')}0000z-0000000${i}`,
        createdAt: at.toISOString(),
        source: { namespace: 'shop', pod: 'web-1', container, engine: 'cri-o' },
        labels: {},
        archive: { name: `a${i}.tar`, size: 100 + i, sha256: String(i).repeat(64).slice(0, 64) },
        data: { size: 100 + i, sha256: String(i).repeat(64).slice(0, 64) },
        chain: { key: `shop/web-1/${container}`, previousHash: out.at(-1)?.hash ?? null },
        pinned: false,
        podObject: { kind: 'Pod', metadata: { name: 'web-1', labels: { app: 'web' } } },
      }),
    );
  }
  return out;
}

describe('hash chain', () => {
  it('finds the newest backup of a chain to link the next one to', () => {
    const h = history(3);
    expect(chainHead(h, 'shop/web-1/web')?.id).toBe(h[2]!.id);
    expect(chainHead(h, 'shop/web-1/other')).toBeUndefined();
  });

  it('an intact history verifies, pinning included', () => {
    const h = history(4);
    h[1] = sealRecord({ ...h[1]!, pinned: true });
    expect(verifyChains(h)).toEqual({ chains: 1, entries: 4, tombstones: 0, problems: [] });
  });

  it('a backup pruned to a tombstone keeps the chain whole', () => {
    const h: StoreEntry[] = history(4);
    h[1] = toTombstone(h[1] as BackupRecord, 'keep-last 2');
    expect(verifyChains(h).problems).toEqual([]);
    expect(verifyChains(h).tombstones).toBe(1);
  });

  it('a backup removed without a tombstone breaks the chain at its successor', () => {
    const h = history(4);
    const removed = h.splice(1, 1);
    expect(verifyChains(h).problems).toEqual([
      expect.objectContaining({ kind: 'missing', id: h[1]!.id, chain: 'shop/web-1/web' }),
    ]);
    expect(removed).toHaveLength(1);
  });

  it.each([
    ['size', (r: BackupRecord) => ({ ...r, data: { ...r.data, size: 1 } })],
    ['labels', (r: BackupRecord) => ({ ...r, labels: { app: 'other' } })],
    ['Pod object', (r: BackupRecord) => ({ ...r, podObject: { kind: 'Pod' } })],
  ])('an altered record (%s) fails its hash', (_what, alter) => {
    const h = history(3);
    h[1] = alter(h[1]!);
    expect(verifyChains(h).problems).toEqual([expect.objectContaining({ kind: 'altered', id: h[1]!.id })]);
  });

  it('a record re-linked behind a later one shows as reordered', () => {
    const h = history(3);
    // Re-seal the first so it points at the last: a consistent record, in the wrong place.
    h[0] = sealRecord({ ...h[0]!, chain: { ...h[0]!.chain, previousHash: h[2]!.hash } });
    const kinds = verifyChains(h).problems.map((p) => p.kind);
    expect(kinds).toContain('reordered');
  });

  it('two backups following the same one show as a fork', () => {
    const h = history(2);
    const twin = sealRecord({
      ...h[1]!,
      id: '20261201t050000z-0000000f',
      createdAt: new Date(Date.UTC(2026, 11, 1, 5)).toISOString(),
    });
    expect(verifyChains([...h, twin]).problems).toEqual([
      expect.objectContaining({ kind: 'fork', id: twin.id }),
    ]);
  });
});
