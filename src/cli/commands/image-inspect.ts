/** `kcr image inspect REF`: checkpoint facts from the manifest and config; no layer is downloaded. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { printImageInfo } from '../output/image.js';
import { addRegistryFlags, outputFormat, registryOptions, type RegistryFlags } from '../registry-flags.js';

interface InspectFlags extends RegistryFlags {
  output?: string;
  platform?: string;
}

export function registerImageInspect(parent: Command, ctx: CliContext): void {
  const cmd = parent
    .command('inspect')
    .description('show the checkpoint a checkpoint image holds, without downloading its layer')
    .argument('<reference>', 'REGISTRY/REPOSITORY[:TAG|@DIGEST] or oci:DIR[:NAME]')
    .option('--platform <os/arch>', "for multi-platform tags (default: this machine's)")
    .option('-o, --output <format>', 'text, json or yaml', 'text');
  addRegistryFlags(cmd).action(async (reference: string, flags: InspectFlags) => {
    const format = outputFormat(flags.output);
    const { inspectCheckpointImage } = await import('../../oci/index.js');
    const info = await inspectCheckpointImage(reference, {
      ...(await registryOptions(ctx, flags)),
      ...(flags.platform ? { platform: flags.platform } : {}),
      signal: ctx.signal,
    });
    printImageInfo(ctx, format, info);
  });
}
