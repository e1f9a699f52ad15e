/** `kcr image push SOURCE [DEST]`: an image from the local store, or an OCI layout (oci:DIR[:NAME]). */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { printPushResult, imageFormat, type ImageFormat } from '../output/image.js';
import { withProgress } from '../progress.js';
import { addRegistryFlags, registryOptions, type RegistryFlags } from '../registry-flags.js';

interface PushFlags extends RegistryFlags {
  output: ImageFormat;
  chunkSize?: string;
}

export function registerImagePush(parent: Command, ctx: CliContext): void {
  const cmd = parent
    .command('push')
    .description('push a built image (from `kcr image build -t REF`) or an OCI layout to a registry')
    .argument('<source>', 'REF built into the local store, or oci:DIR[:NAME]')
    .argument('[destination]', 'REGISTRY/REPOSITORY:TAG (default: the source reference)')
    .option('--chunk-size <bytes>', 'upload in chunks of this many bytes (default: one streamed chunk)')
    .option('-o, --output <format>', 'table, json or yaml', imageFormat, 'table');
  addRegistryFlags(cmd).action(async (source: string, destination: string | undefined, flags: PushFlags) => {
    const registry = await registryOptions(ctx, flags);
    const result = await withProgress(ctx, async (progress) => {
      const { pushBuiltImage } = await import('../../oci/index.js');
      return pushBuiltImage(source, destination, {
        ...registry,
        ...(flags.chunkSize ? { chunkSize: Number(flags.chunkSize) } : {}),
        ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
        signal: ctx.signal,
      });
    });
    // Only now, with the bars stopped and cleared, so the digest is printed whole and last.
    printPushResult(ctx, flags.output, result);
  });
}
