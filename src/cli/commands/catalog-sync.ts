/** `kcr catalog sync [STORE]`: rebuild the catalog's rows from the stores themselves. */
import type { Command } from 'commander';
import { openNamedStore, withCatalog } from '../backup-env.js';
import type { CliContext } from '../context.js';

export function registerCatalog(program: Command, ctx: CliContext): void {
  const catalog = program.command('catalog').description('the local index of the backup stores');
  catalog
    .command('sync')
    .description('rebuild the catalog from the stores (all, or the one named); the stores are the truth')
    .argument('[store]', 'a store name (default: every store)')
    .action(async (name: string | undefined) => {
      const { syncStore } = await import('../../backup/index.js');
      await withCatalog(ctx, async (cat) => {
        const names = name !== undefined ? [name] : cat.listStores().map((s) => s.name);
        for (const storeName of names) {
          const named = await openNamedStore(ctx, cat, storeName);
          try {
            const result = await syncStore(cat, named, { signal: ctx.signal });
            ctx.io.stdout.write(`${result.store}: ${result.backups} backups, ${result.tombstones} removed\n`);
          } finally {
            await named.store.close();
          }
        }
      });
    });
}
