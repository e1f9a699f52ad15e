/**
 * `kcr backup ARCHIVE [--store S]`: an archive at hand into a store, recorded in the catalog.
 * The subcommands (get, pin, unpin, rm) act on one stored backup by id. Commander hands options
 * after a subcommand to this parent when both declare them (--store, -o), so the subcommands read
 * theirs with optsWithGlobals().
 */
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { KcrError } from '../../errors.js';
import { openNamedStore, withCatalog } from '../backup-env.js';
import type { CliContext } from '../context.js';
import { choice } from '../options.js';
import { renderBackups, renderRecord } from '../output/backup-printers.js';
import { progressRenderer } from '../progress.js';
import { registerBackupGet } from './backup-get.js';
import { registerBackupPin } from './backup-pin.js';
import { registerBackupRm } from './backup-rm.js';

const FORMATS = ['table', 'wide', 'json', 'yaml'] as const;

interface BackupFlags {
  store?: string;
  output?: (typeof FORMATS)[number];
}

async function isArchivePath(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export function registerBackup(program: Command, ctx: CliContext): void {
  const backup = program
    .command('backup')
    .description(
      'store a checkpoint archive as a backup (recorded, checksummed, chained); or act on one by id',
    )
    .argument('[archive]', 'a checkpoint archive (.tar, .tar.gz, .tar.zst)')
    .option('--store <name|url>', 'a store added with `kcr store add`, or a URL (default: the local store)')
    .option('-o, --output <format>', 'table (default), wide, json or yaml', choice('--output', FORMATS))
    .action(async (archive: string | undefined, flags: BackupFlags) => {
      const output = flags.output ?? 'table';
      if (archive === undefined) {
        throw new KcrError('usage', 'kcr backup needs an archive (or a subcommand: get, pin, unpin, rm)', {
          hint: 'for example: kcr backup ./checkpoint.tar --store default',
        });
      }
      const path = resolve(ctx.io.cwd, archive);
      if (!(await isArchivePath(path))) {
        throw new KcrError('not-found', `${archive}: no such archive`, {
          hint: 'to back up a running pod, checkpoint it first: kcr checkpoint POD -n NS -o ./ckpt/, then kcr backup ./ckpt/ARCHIVE',
        });
      }
      const { backupArchive } = await import('../../backup/index.js');
      const progress = progressRenderer(ctx);
      const { entryToRow } = await import('../../backup/index.js');
      const stored = await withCatalog(ctx, async (catalog) => {
        const named = await openNamedStore(ctx, catalog, flags.store);
        try {
          const record = await backupArchive(named.store, path, {
            signal: ctx.signal,
            onProgress: (transferred, total) =>
              progress.onProgress?.({ phase: 'upload', label: `backup → ${named.name}`, transferred, total }),
          });
          catalog.upsertEntry(named.name, record);
          return { store: named.name, record };
        } finally {
          progress.stop();
          await named.store.close();
        }
      });
      ctx.io.stdout.write(
        output === 'json' || output === 'yaml'
          ? renderRecord(stored.store, stored.record, output)
          : renderBackups([entryToRow(stored.store, stored.record)], output),
      );
    });
  registerBackupGet(backup, ctx);
  registerBackupPin(backup, ctx);
  registerBackupRm(backup, ctx);
}
