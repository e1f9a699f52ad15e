/** `kcr backup get ID --output-file FILE`: a backup's archive back, sha256 checked, written atomically. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { KcrError } from '../../errors.js';
import { openNamedStore, withCatalog } from '../backup-env.js';
import type { CliContext } from '../context.js';
import { addIdentityFlag, identityTexts } from '../encryption-flags.js';
import { renderRecord } from '../output/backup-printers.js';
import { formatBytes } from '../../util/units.js';

interface GetFlags {
  store?: string;
  outputFile?: string;
  output?: string;
  identity?: string[];
}

export function registerBackupGet(parent: Command, ctx: CliContext): void {
  const get = parent
    .command('get')
    .description("a backup's record (-o json|yaml), or its archive (--output-file FILE, - for stdout)")
    .argument('<id>', 'the backup id (see `kcr backups`)')
    .option('--store <name|url>', 'the store holding it (default: where the catalog says it is)')
    .option(
      '--output-file <file>',
      'write the archive here (mode 0600, complete or not at all); - for stdout',
    )
    .option('-o, --output <format>', 'print the record: json or yaml');
  addIdentityFlag(
    get,
    'a key file that opens an encrypted backup: age identities or an ssh private key (repeatable)',
  ).action(async (id: string, _flags: unknown, cmd: Command) => {
    const flags = cmd.optsWithGlobals<GetFlags>();
    const format = flags.output;
    if (format !== undefined && format !== 'json' && format !== 'yaml') {
      throw new KcrError('usage', `--output ${format}: kcr backup get prints a record as json or yaml`, {
        hint: 'the archive itself goes to a file: --output-file FILE (- for stdout)',
      });
    }
    if (flags.outputFile === undefined && format === undefined) {
      throw new KcrError(
        'usage',
        'kcr backup get needs --output-file FILE (the archive) or -o json|yaml (the record)',
        {
          hint: `for example: kcr backup get ${id} --output-file ./restored.tar`,
        },
      );
    }
    const { locateBackup, readBackup, ageEncryption } = await import('../../backup/index.js');
    const identities = flags.identity?.length ? await identityTexts(flags.identity) : [];
    await withCatalog(ctx, async (catalog) => {
      const named = await openNamedStore(ctx, catalog, flags.store ?? locateBackup(catalog, id));
      try {
        if (format) ctx.io.stdout.write(renderRecord(named.name, await named.store.getEntry(id), format));
        if (flags.outputFile === undefined) return;
        const target = flags.outputFile === '-' ? ctx.io.stdout : resolve(ctx.io.cwd, flags.outputFile);
        if (typeof target !== 'string' && target.isTTY) {
          throw new KcrError('usage', 'refusing to write an archive to a terminal', {
            hint: 'redirect stdout to a file, or use --output-file FILE',
          });
        }
        const record = await readBackup(named.store, id, target, {
          signal: ctx.signal,
          ...(identities.length ? { decryption: { cipher: ageEncryption, identities } } : {}),
        });
        // Said as image pull says it; not after a record printed as JSON or YAML, nor into the archive.
        if (typeof target === 'string' && !format) {
          ctx.io.stdout.write(
            `wrote ${flags.outputFile} (${formatBytes(record.archive.size)}, sha256 ${record.archive.sha256} checked)\n`,
          );
        }
      } finally {
        await named.store.close();
      }
    });
  });
}
