/** `kcr image pull REF -o ARCHIVE.tar`: the checkpoint archive back from its image, digests checked. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { addIdentityFlag, imageIdentities } from '../encryption-flags.js';
import { printPullResult } from '../output/image.js';
import { progressRenderer } from '../progress.js';
import { addRegistryFlags, registryOptions, type RegistryFlags } from '../registry-flags.js';

interface PullFlags extends RegistryFlags {
  output: string;
  platform?: string;
  identity: string[];
}

export function registerImagePull(parent: Command, ctx: CliContext): void {
  const cmd = parent
    .command('pull')
    .description('get the checkpoint archive back from a checkpoint image (any single-layer image)')
    .argument('<reference>', 'REGISTRY/REPOSITORY[:TAG|@DIGEST]')
    .requiredOption('-o, --output <file>', 'where to write the archive')
    .option('--platform <os/arch>', "for multi-platform tags (default: this machine's)");
  addIdentityFlag(cmd, 'private key (PEM) that opens an encrypted image (repeatable)');
  addRegistryFlags(cmd).action(async (reference: string, flags: PullFlags) => {
    const progress = progressRenderer(ctx);
    try {
      const { pullCheckpointImage } = await import('../../oci/index.js');
      const result = await pullCheckpointImage(reference, flags.output, {
        ...(await registryOptions(ctx, flags)),
        ...(flags.platform ? { platform: flags.platform } : {}),
        ...(flags.identity.length ? { identities: await imageIdentities(flags.identity) } : {}),
        ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
        signal: ctx.signal,
      });
      progress.stop();
      if (!ctx.quiet) printPullResult(ctx, result);
    } finally {
      progress.stop();
    }
  });
}
