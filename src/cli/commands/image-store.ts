/**
 * `kcr image ls` and `kcr image rm REF...`: the images `kcr image build -t REF` keeps in the local
 * store (without --push), as `podman images` and `podman rmi` show and remove theirs.
 */
import type { Command } from 'commander';
import { formatBytes } from '../../util/units.js';
import type { CliContext } from '../context.js';
import { outputFormat } from '../options.js';
import { toJson, toYaml } from '../output/format.js';
import { renderTable, shortTime, tableWidth } from '../output/table.js';

const FORMATS = ['table', 'json', 'yaml'] as const;

export function registerImageStore(parent: Command, ctx: CliContext): void {
  parent
    .command('ls')
    .alias('list')
    .description('list the images built into the local store (kcr image build -t REF without --push)')
    .option('-o, --output <format>', 'table, json or yaml', outputFormat(FORMATS), 'table')
    .action(async (opts: { output: (typeof FORMATS)[number] }) => {
      const { listStoredImages } = await import('../../oci/index.js');
      const images = await listStoredImages(ctx.io.env);
      if (opts.output === 'json') return void ctx.io.stdout.write(toJson(images));
      if (opts.output === 'yaml') return void ctx.io.stdout.write(toYaml(images));
      if (images.length === 0) {
        if (!ctx.quiet) ctx.io.stderr.write('no images in the local store\n');
        return;
      }
      ctx.io.stdout.write(
        renderTable(
          images,
          [
            { header: 'REFERENCE', value: (i) => i.reference, shrink: true, minWidth: 24 },
            { header: 'DIGEST', value: (i) => i.digest.replace(/^sha256:/, '').slice(0, 12) },
            { header: 'CHECKPOINTED', value: (i) => shortTime(i.checkpointed) },
            { header: 'SIZE', value: (i) => formatBytes(i.size), align: 'right' },
          ],
          { width: tableWidth(ctx.io.stdout) },
        ),
      );
    });

  parent
    .command('rm')
    .alias('remove')
    .description('remove images from the local store, and the layers no other image there uses')
    .argument('<reference...>', 'REGISTRY/REPOSITORY:TAG as built with kcr image build -t')
    .action(async (references: string[]) => {
      const { removeStoredImage } = await import('../../oci/index.js');
      for (const reference of references) {
        const removed = await removeStoredImage(reference, ctx.io.env);
        ctx.io.stdout.write(`removed ${removed.reference} (${formatBytes(removed.freedBytes)} freed)\n`);
      }
    });
}
