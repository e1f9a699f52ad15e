/** `kcr backup rm ID`: removes the data, keeps a tombstone so the chain stays checkable. */
import type { Command } from 'commander';
import { openNamedStore, withCatalog } from '../backup-env.js';
import type { CliContext } from '../context.js';

export function registerBackupRm(parent: Command, ctx: CliContext): void {
  parent
    .command('rm')
    .description('remove backups (their data; a small tombstone record keeps the hash chain checkable)')
    .argument('<id...>', 'backup ids (see `kcr backups`)')
    .option('--store <name|url>', 'the store holding them (default: where the catalog says each is)')
    .option('--force', 'remove pinned backups too')
    .action(async (ids: string[], _flags: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<{ store?: string; force?: boolean }>();
      const { locateBackup, removeBackup } = await import('../../backup/index.js');
      await withCatalog(ctx, async (catalog) => {
        for (const id of ids) {
          const named = await openNamedStore(ctx, catalog, flags.store ?? locateBackup(catalog, id));
          try {
            await removeBackup(catalog, named, id, 'removed with kcr backup rm', {
              force: Boolean(flags.force),
            });
          } finally {
            await named.store.close();
          }
          ctx.io.stdout.write(`backup ${id} removed from ${named.name}\n`);
        }
      });
    });
}
