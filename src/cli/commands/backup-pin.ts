/** `kcr backup pin ID` / `unpin ID`: a pinned backup is never pruned. */
import type { Command } from 'commander';
import { openNamedStore, withCatalog } from '../backup-env.js';
import type { CliContext } from '../context.js';

async function pin(ctx: CliContext, id: string, store: string | undefined, pinned: boolean): Promise<void> {
  const { locateBackup, setPinned } = await import('../../backup/index.js');
  await withCatalog(ctx, async (catalog) => {
    const named = await openNamedStore(ctx, catalog, store ?? locateBackup(catalog, id));
    try {
      await setPinned(catalog, named, id, pinned);
    } finally {
      await named.store.close();
    }
  });
  ctx.io.stdout.write(`backup ${id} ${pinned ? 'pinned' : 'unpinned'}\n`);
}

export function registerBackupPin(parent: Command, ctx: CliContext): void {
  for (const pinned of [true, false]) {
    parent
      .command(pinned ? 'pin' : 'unpin')
      .description(
        pinned ? 'keep a backup: prune never removes a pinned backup' : 'let prune consider a backup again',
      )
      .argument('<id>', 'the backup id (see `kcr backups`)')
      .option('--store <name|url>', 'the store holding it (default: where the catalog says it is)')
      .action(async (id: string, _flags: unknown, cmd: Command) =>
        pin(ctx, id, cmd.optsWithGlobals<{ store?: string }>().store, pinned),
      );
  }
}
