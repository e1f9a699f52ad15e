/**
 * The backup side of `kcr restore`: `kcr restore BACKUP_ID` and `kcr restore --latest --pod P
 * [-n NS] [-c C] [--store S]` pick a backup from the catalog; `--identity` opens an encrypted one.
 * The restore itself is backup/restoreBackup, over the same ops restore as an archive or image.
 */
import type { Command } from 'commander';
import { KcrError } from '../../errors.js';
import type { RestoreOptions } from '../../ops/index.js';
import type { RestoreBackupResult } from '../../backup/index.js';
import { isDirectory, isFile } from '../../util/fs-checks.js';
import { openNamedStore, withCatalog } from '../backup-env.js';
import type { CliContext } from '../context.js';
import { addIdentityFlag, identityTexts, imageIdentities } from '../encryption-flags.js';

export interface BackupSourceFlags {
  latest?: boolean;
  pod?: string;
  container?: string;
  store?: string;
  identity: string[];
  namespace?: string;
}

/** Same shape as backup/record's BACKUP_ID_PATTERN, kept here so the CLI need not load backup/ to tell. */
const BACKUP_ID = /^\d{8}t\d{6}z-[0-9a-f]{8}$/;

export function addBackupSourceFlags(cmd: Command): Command {
  cmd
    .option('--latest', 'restore the newest backup of --pod (with -n and -c to choose) from the catalog')
    .option('--pod <pod>', 'with --latest: the pod whose newest backup is restored')
    .option(
      '-c, --container <name>',
      "with --latest: the container (needed when the pod's backups hold several)",
    )
    .option('--store <name|url>', 'the store to take the backup from (default: the one the catalog names)');
  return addIdentityFlag(
    cmd,
    'for an encrypted backup or image: an age identity file or ssh private key (age backups), or a PEM private key (ocicrypt images) (repeatable)',
  );
}

export interface BackupRestore {
  restore(options: Omit<RestoreOptions, 'source'>): Promise<RestoreBackupResult>;
}

/** The backup `kcr restore` names, or undefined when its source is an archive or an image. */
export async function backupSource(
  source: string | undefined,
  f: BackupSourceFlags,
  ctx: CliContext,
): Promise<BackupRestore | undefined> {
  if (f.latest) {
    if (source !== undefined) {
      throw new KcrError('usage', `--latest chooses the backup itself; ${source} was given too`, {
        hint: 'give either a source or --latest --pod POD',
      });
    }
    if (f.pod === undefined) {
      throw new KcrError('usage', '--latest needs --pod POD', {
        hint: 'for example: kcr restore --latest --pod web -n shop --registry REGISTRY/REPOSITORY',
      });
    }
  } else {
    for (const flag of ['pod', 'container'] as const) {
      if (f[flag] !== undefined) {
        throw new KcrError('usage', `--${flag} chooses a backup with --latest`, {
          hint: 'add --latest, or name the backup by its id (kcr backups)',
        });
      }
    }
    const local = source !== undefined && ((await isFile(source)) || (await isDirectory(source)));
    if (source === undefined || local || !BACKUP_ID.test(source)) return undefined;
  }
  const pod = f.pod;
  return {
    restore: async (options) => {
      const { latestBackup, locateBackup, restoreBackup, ageEncryption } =
        await import('../../backup/index.js');
      return withCatalog(ctx, async (catalog) => {
        let id = source;
        let store = f.store;
        if (pod !== undefined) {
          const row = latestBackup(catalog, {
            pod,
            ...(f.namespace !== undefined ? { namespace: f.namespace } : {}),
            ...(f.container !== undefined ? { container: f.container } : {}),
            ...(f.store !== undefined ? { store: f.store } : {}),
          });
          id = row.id;
          store = row.store;
        }
        const named = await openNamedStore(ctx, catalog, store ?? locateBackup(catalog, id!));
        // An identity file is read as the backup's format needs it: age identities or ssh keys, or
        // the PEM private key of an ocicrypt image (which the image pull opens).
        const format = catalog.findEntry(id!).find((e) => e.store === named.name)?.entry.encryption?.format;
        const keys = f.identity.length
          ? format === 'ocicrypt'
            ? { identities: await imageIdentities(f.identity) }
            : { decryption: { cipher: ageEncryption, identities: await identityTexts(f.identity) } }
          : {};
        try {
          return await restoreBackup(named.store, id!, { ...options, ...keys });
        } finally {
          await named.store.close();
        }
      });
    },
  };
}
