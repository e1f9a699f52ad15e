/**
 * Synthetic catalog histories for the listing tests: `n` backups one minute apart, spread over
 * namespaces, pods and labels (keys with dots and slashes included), some pinned or encrypted,
 * with a few twins in the same second (told apart by the id) and a tombstone or two.
 */
import { RECORD_API_VERSION, sealRecord, toTombstone, type StoreEntry } from '../backup/record.js';

export function syntheticHistory(n: number): StoreEntry[] {
  const entries: StoreEntry[] = [];
  for (let i = 0; i < n; i++) {
    // Every tenth backup shares its second with the one before: the id breaks the tie.
    const minute = i - Math.floor(i / 10);
    const t = new Date(Date.UTC(2026, 10, 1) + minute * 60_000);
    const stamp = t.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '').toLowerCase();
    const id = `${stamp}-${i.toString(16).padStart(8, '0')}`;
    const namespace = `ns-${i % 3}`;
    const pod = `pod-${i % 7}`;
    const labels: Record<string, string> = { app: pod, 'app.kubernetes.io/part-of': `shop-${i % 2}` };
    if (i % 5 === 0) labels.tier = i % 10 === 0 ? 'db' : 'web';
    const sha = (i % 256).toString(16).padStart(2, '0').repeat(32);
    const record = sealRecord({
      apiVersion: RECORD_API_VERSION,
      kind: 'Backup',
      id,
      createdAt: t.toISOString(),
      source: {
        namespace,
        pod,
        container: i % 4 === 0 ? 'sidecar' : 'app',
        ...(i % 6 === 0 ? {} : { node: `node-${i % 2}` }),
        engine: 'cri-o',
        image: 'registry.example/shop/app:1',
      },
      labels,
      archive: { name: 'checkpoint.tar', size: 1000 * i, sha256: sha },
      data: { size: 1000 * i, sha256: sha },
      ...(i % 9 === 0 ? { encryption: { format: 'age' as const, recipients: ['age1example'] } } : {}),
      chain: { key: `${namespace}/${pod}/app`, previousHash: null },
      pinned: i % 11 === 0,
    });
    entries.push(i % 97 === 50 ? toTombstone(record, 'pruned: keep-last 1', t) : record);
  }
  return entries;
}
