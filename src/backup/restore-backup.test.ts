import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/archive-builder.js';
import { syntheticRecord } from '../testing/store-contract.js';
import { Catalog } from './catalog.js';
import { sealRecord } from './record.js';
import { latestBackup } from './restore-backup.js';

const tmp = tempDir('kcr-latest-');
afterAll(() => tmp.cleanup());

/** A catalog holding `ns/pod/container@minute` backups in store `s`. */
function catalogOf(...specs: string[]): Catalog {
  const catalog = Catalog.open(tmp.path(`${Math.random().toString(16).slice(2)}.db`));
  catalog.addStore('s', 'file:///nowhere');
  specs.forEach((spec, i) => {
    const [, namespace, pod, container, minute] = /^([^/]+)\/([^/]+)\/([^@]+)@(\d+)$/.exec(spec)!;
    const base = syntheticRecord(`20261206t00${minute!.padStart(2, '0')}00z-0000000${i}`, {
      size: 1,
      sha256: '0'.repeat(64),
    });
    const { hash: _hash, ...draft } = base;
    const record = sealRecord({
      ...draft,
      createdAt: `2026-12-06T00:${minute!.padStart(2, '0')}:00.000Z`,
      source: { ...draft.source, namespace: namespace!, pod: pod!, container: container! },
    });
    catalog.upsertEntry('s', record);
  });
  return catalog;
}

describe('latestBackup', () => {
  it('is the newest backup of the pod, whatever order they were catalogued in', () => {
    const catalog = catalogOf('a/web/app@5', 'a/web/app@9', 'a/web/app@7', 'b/other/app@30');
    expect(latestBackup(catalog, { pod: 'web' }).id).toBe('20261206t000900z-00000001');
  });

  it.each([
    [['a/web/app@1', 'b/web/app@2'], { pod: 'web' }, /several namespaces: (a, b|b, a)/, /-n NAMESPACE/],
    [
      ['a/web/app@1', 'a/web/log@2'],
      { pod: 'web' },
      /several containers: (app, log|log, app)/,
      /-c CONTAINER/,
    ],
    [['a/web/app@1'], { pod: 'web', namespace: 'b' }, /no backup of b\/web/, /kcr backups/],
  ])('refuses to guess: %j %j', (specs, query, message, hint) => {
    expect(() => latestBackup(catalogOf(...specs), query)).toThrow(
      expect.objectContaining({ message: expect.stringMatching(message), hint: expect.stringMatching(hint) }),
    );
  });

  it('takes -n and -c to resolve the ambiguity', () => {
    const catalog = catalogOf('a/web/app@1', 'a/web/log@2', 'b/web/app@3');
    expect(latestBackup(catalog, { pod: 'web', namespace: 'a', container: 'app' }).id).toBe(
      '20261206t000100z-00000000',
    );
  });
});
