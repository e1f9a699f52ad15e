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
import { addEncryptToFlag, backupEncryptionFlags } from '../encryption-flags.js';
import { outputFormat } from '../options.js';
import { renderBackups } from '../output/backup-printers.js';
import { tableWidth } from '../output/table.js';
import { progressRenderer } from '../progress.js';
import { addKubeFlags } from '../kube-flags.js';
import { registerBackupGet } from './backup-get.js';
import { runBackupPods, type BackupPodFlags } from './backup-pods.js';
import { runBackupPodCheckpoint } from './backup-pod-checkpoint.js';
import { registerBackupPin } from './backup-pin.js';
import { registerBackupRm } from './backup-rm.js';

const FORMATS = ['table', 'wide', 'json', 'yaml'] as const;

interface BackupFlags {
  store?: string;
  encryptTo: string[];
  output?: (typeof FORMATS)[number];
}

/** A pod name is a DNS subdomain: no slashes, no archive suffix. */
function looksLikePod(arg: string): boolean {
  return /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(arg) && !/\.tar(\.gz|\.zst)?$/.test(arg);
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
      'back up a running pod (checkpoint, copy, store) or an archive at hand: recorded, checksummed, chained; or act on one by id',
    )
    .argument(
      '[archive|pod]',
      'a checkpoint archive (.tar, .tar.gz, .tar.zst), a running pod to checkpoint and store, or podcheckpoint/NAME (KEP-5823)',
    )
    .option('--store <name|url>', 'a store added with `kcr store add`, or a URL (default: the local store)')
    .option('-o, --output <format>', 'table (default), wide, json or yaml', outputFormat(FORMATS))
    .option('-c, --container <name>', 'pod: the container to back up (default: the only one)')
    .option('--all-containers', 'pod: back up every container of the pod')
    .option('-l, --selector <selector>', 'back up every pod matching this label selector');
  addKubeFlags(backup);
  addEncryptToFlag(
    backup,
    'encrypt the archive before it leaves, to this recipient: for file:// and s3:// stores (age) age1…, an ssh-ed25519/ssh-rsa public key, or a file of them; for oci:// stores (ocicrypt image) a PEM public key file (repeatable)',
  );
  backup.action(async (archive: string | undefined, flags: BackupFlags & BackupPodFlags) => {
    const output = flags.output ?? 'table';
    const podCheckpoint = /^podcheckpoints?(?:\.node\.k8s\.io)?\/(.+)$/.exec(archive ?? '');
    if (podCheckpoint) return runBackupPodCheckpoint(ctx, podCheckpoint[1]!, flags, output);
    if (
      flags.selector !== undefined ||
      (archive !== undefined && looksLikePod(archive) && !(await isArchivePath(resolve(ctx.io.cwd, archive))))
    ) {
      return runBackupPods(ctx, archive, flags, output);
    }
    if (archive === undefined) {
      throw new KcrError('usage', 'kcr backup needs an archive (or a subcommand: get, pin, unpin, rm)', {
        hint: 'for example: kcr backup ./checkpoint.tar --store default',
      });
    }
    const path = resolve(ctx.io.cwd, archive);
    if (!(await isArchivePath(path))) {
      throw new KcrError('not-found', `${archive}: no such archive`, {
        hint: 'name an archive file, or a running pod by its name: kcr backup POD -n NS',
      });
    }
    // The archive path alone, not backup/index.js: that one loads ops, and with it the Kubernetes,
    // HTTP and S3 clients, which storing a local archive in a file:// store has no use for.
    const { backupArchive } = await import('../../backup/backup-archive.js');
    const progress = progressRenderer(ctx);
    const { entryToRow } = await import('../../backup/catalog.js');
    const stored = await withCatalog(ctx, async (catalog) => {
      const named = await openNamedStore(ctx, catalog, flags.store);
      try {
        const record = await backupArchive(named.store, path, {
          signal: ctx.signal,
          ...(await backupEncryptionFlags(named.store, flags.encryptTo)),
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
    // The same list of rows as `kcr backup POD` and `kcr backups` print, in every format: a script
    // reads "the backups this command made" one way whichever was backed up. The whole stored
    // record (recipients, data digest, previous hash) is `kcr backup get ID -o json`.
    ctx.io.stdout.write(
      renderBackups([entryToRow(stored.store, stored.record)], output, tableWidth(ctx.io.stdout)),
    );
  });
  registerBackupGet(backup, ctx);
  registerBackupPin(backup, ctx);
  registerBackupRm(backup, ctx);
}
