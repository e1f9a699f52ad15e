/** `kcr store add|list|rm`: the stores the catalog indexes, by name. */
import type { Command } from 'commander';
import { KcrError } from '../../errors.js';
import { storeArgument, withCatalog } from '../backup-env.js';
import type { CliContext } from '../context.js';
import { outputFormat } from '../options.js';
import { LIST_FORMATS, renderStores, type ListFormat } from '../output/backup-printers.js';

interface AddFlags {
  endpoint?: string;
  pathStyle?: boolean;
  region?: string;
  profile?: string;
  insecure?: boolean;
  sync: boolean;
}

export function registerStore(program: Command, ctx: CliContext): void {
  const store = program.command('store').description('the backup stores the catalog knows: add, list, rm');
  store
    .command('add')
    .description(
      'add a store by name: file:///path, s3://bucket/prefix, oci://registry/repository (backups already in it are listed at once)',
    )
    .argument('<name>', 'a short name for --store (lower-case letters, digits, -)')
    .argument('<url>', 'file:///path (or a directory path), s3://bucket/prefix, oci://registry/repository')
    .option('--endpoint <url>', 'S3: a non-AWS endpoint (MinIO, Ceph), e.g. http://127.0.0.1:9000')
    .option('--path-style', 'S3: path-style addressing (MinIO, Ceph)')
    .option('--region <region>', 'S3: the region (default: from the AWS configuration, else us-east-1)')
    .option('--profile <profile>', 'S3: the AWS profile for credentials')
    .option('--insecure', 'OCI: plain HTTP or unverified TLS for this registry')
    .option('--no-sync', 'do not list the backups already in the store')
    .action(async (name: string, rawUrl: string, flags: AddFlags) => {
      const { formatStoreUrl, parseStoreUrl, resolveStore, syncStore } =
        await import('../../backup/index.js');
      const url = formatStoreUrl(parseStoreUrl(storeArgument(ctx, rawUrl)));
      const options = {
        ...(flags.endpoint !== undefined ? { endpoint: flags.endpoint } : {}),
        ...(flags.pathStyle ? { pathStyle: true } : {}),
        ...(flags.region !== undefined ? { region: flags.region } : {}),
        ...(flags.profile !== undefined ? { profile: flags.profile } : {}),
        ...(flags.insecure ? { insecure: true } : {}),
      };
      const { storeOptionsSchema } = await import('../../backup/index.js');
      const parsed = storeOptionsSchema.safeParse(options);
      if (!parsed.success) {
        throw new KcrError(
          'usage',
          `--${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}`,
          {
            hint: 'for example: --endpoint http://127.0.0.1:9000',
          },
        );
      }
      const found = await withCatalog(ctx, async (catalog) => {
        catalog.addStore(name, url, parsed.data);
        if (!flags.sync) return undefined;
        const named = await resolveStore(catalog, name);
        try {
          return await syncStore(catalog, named, { signal: ctx.signal });
        } catch (err) {
          catalog.removeStore(name);
          throw err;
        } finally {
          await named.store.close();
        }
      });
      ctx.io.stdout.write(`store ${name} added (${url})${found ? `: ${found.backups} backups` : ''}\n`);
    });
  store
    .command('list')
    .description('the stores the catalog knows')
    .option('-o, --output <format>', 'table, wide, json or yaml', outputFormat(LIST_FORMATS), 'table')
    .action(async (flags: { output: ListFormat }) => {
      const rows = await withCatalog(ctx, async (catalog) => catalog.listStores());
      ctx.io.stdout.write(renderStores(rows, flags.output));
    });
  store
    .command('rm')
    .description("forget a store: the catalog drops it and its rows; the store's backups are not touched")
    .argument('<name>', 'the store name')
    .action(async (name: string) => {
      const removed = await withCatalog(ctx, async (catalog) => catalog.removeStore(name));
      if (!removed)
        throw new KcrError('not-found', `no store named "${name}"`, { hint: 'run `kcr store list`' });
      ctx.io.stdout.write(`store ${name} removed from the catalog (its backups are still in the store)\n`);
    });
}
