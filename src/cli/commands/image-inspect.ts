/**
 * `kcr image inspect REF`: checkpoint facts from the manifest and config; no layer is downloaded. A
 * reference in the local store is read there first (`--remote` asks the registry).
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { printImageInfo, imageFormat, type ImageFormat } from '../output/image.js';
import { addRegistryFlags, registryOptions, type RegistryFlags } from '../registry-flags.js';

interface InspectFlags extends RegistryFlags {
  output: ImageFormat;
  platform?: string;
  remote?: boolean;
}

export function registerImageInspect(parent: Command, ctx: CliContext): void {
  const cmd = parent
    .command('inspect')
    .description('show the checkpoint a checkpoint image holds, without downloading its layer')
    .argument('<reference>', 'REGISTRY/REPOSITORY[:TAG|@DIGEST] or oci:DIR[:NAME]')
    .option('--platform <os/arch>', "for multi-platform tags (default: this machine's)")
    .option('--remote', 'ask the registry even when the image is in the local store')
    .option('-o, --output <format>', 'table, json or yaml', imageFormat, 'table');
  addRegistryFlags(cmd).action(async (reference: string, flags: InspectFlags) => {
    const { inspectCheckpointImage } = await import('../../oci/index.js');
    const info = await inspectCheckpointImage(reference, {
      ...(await registryOptions(ctx, flags)),
      ...(flags.platform ? { platform: flags.platform } : {}),
      // A locally built image (kcr image build -t REF) is read from the store, as podman does.
      localFirst: !flags.remote,
      env: ctx.io.env,
      signal: ctx.signal,
    });
    printImageInfo(ctx, flags.output, info);
  });
}
