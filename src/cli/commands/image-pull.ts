/**
 * `kcr image pull REF [FILE | --output-file FILE | -]`: the checkpoint archive back from its image,
 * digests checked. `-` streams the archive to stdout; the result line then goes to stderr.
 */
import type { Command } from 'commander';
import { Writable } from 'node:stream';
import { KcrError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { addIdentityFlag, imageIdentities } from '../encryption-flags.js';
import { imageFormatFor, printPullResult, type ImageFormat } from '../output/image.js';
import { withProgress } from '../progress.js';
import { addRegistryFlags, registryOptions, type RegistryFlags } from '../registry-flags.js';

interface PullFlags extends RegistryFlags {
  outputFile?: string;
  output: ImageFormat;
  platform?: string;
  identity: string[];
}

function destination(file: string | undefined, flags: PullFlags): string {
  if (file && flags.outputFile && file !== flags.outputFile) {
    throw new KcrError('usage', `two destinations: ${file} and --output-file ${flags.outputFile}`, {
      hint: 'give the archive path once, as FILE or with --output-file',
    });
  }
  const path = file ?? flags.outputFile;
  if (!path) {
    throw new KcrError('usage', 'image pull needs a destination for the archive', {
      hint: 'add a file name (kcr image pull REF checkpoint.tar), or - for stdout',
    });
  }
  return path;
}

export function registerImagePull(parent: Command, ctx: CliContext): void {
  const cmd = parent
    .command('pull')
    .description('get the checkpoint archive back from a checkpoint image (any single-layer image)')
    .argument('<reference>', 'REGISTRY/REPOSITORY[:TAG|@DIGEST]')
    .argument('[file]', 'where to write the archive (mode 0600); - for stdout')
    .option('--output-file <file>', 'the same as FILE')
    .option(
      '-o, --output <format>',
      'the result as table, json or yaml',
      imageFormatFor('--output-file'),
      'table',
    )
    .option('--platform <os/arch>', "for multi-platform tags (default: this machine's)");
  addIdentityFlag(cmd, 'private key (PEM) that opens an encrypted image (repeatable)');
  addRegistryFlags(cmd).action(async (reference: string, file: string | undefined, flags: PullFlags) => {
    const path = destination(file, flags);
    const toStdout = path === '-';
    const target = toStdout
      ? new Writable({
          write: (chunk: Buffer, _enc, done) => {
            const out = ctx.io.stdout;
            // Respect a slow reader (`| zstd > x`): wait for drain instead of buffering the archive.
            if (out.write(chunk) === false && 'once' in out && typeof out.once === 'function')
              (out as NodeJS.WritableStream).once('drain', () => done());
            else done();
          },
        })
      : path;
    const registry = await registryOptions(ctx, flags);
    const identities = flags.identity.length ? await imageIdentities(flags.identity) : undefined;
    const result = await withProgress(ctx, async (progress) => {
      const { pullCheckpointImage } = await import('../../oci/index.js');
      return pullCheckpointImage(reference, target, {
        ...registry,
        ...(flags.platform ? { platform: flags.platform } : {}),
        ...(identities ? { identities } : {}),
        ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
        signal: ctx.signal,
      });
    });
    if (toStdout) {
      if (!ctx.quiet) printPullResult(ctx, 'table', result, ctx.io.stderr);
    } else if (!ctx.quiet || flags.output !== 'table') printPullResult(ctx, flags.output, result);
  });
}
