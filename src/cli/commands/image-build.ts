/** `kcr image build ARCHIVE -t REF [--push] [--oci-layout DIR]`: the archive becomes the image's one layer. */
import type { Command } from 'commander';
import { KcrError } from '../../errors.js';
import type { BuildImageOptions } from '../../oci/index.js';
import type { CliContext } from '../context.js';
import { addEncryptToFlag, imageRecipients } from '../encryption-flags.js';
import { printBuildResult, imageFormat, type ImageFormat } from '../output/image.js';
import { withProgress } from '../progress.js';
import { addRegistryFlags, registryOptions, type RegistryFlags } from '../registry-flags.js';

interface BuildFlags extends RegistryFlags {
  tag?: string;
  push?: boolean;
  ociLayout?: string;
  compression: string;
  platform: string;
  sourceNode?: string;
  annotation: string[];
  encryptTo: string[];
  output: ImageFormat;
}

function parseAnnotations(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0)
      throw new KcrError('usage', `${v}: invalid annotation`, { hint: 'write --annotation KEY=VALUE' });
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

function parseCompression(value: string): 'none' | 'gzip' | 'zstd' {
  if (value === 'none' || value === 'gzip' || value === 'zstd') return value;
  throw new KcrError('usage', `${value}: unknown compression`, {
    hint: 'use none (the default), gzip or zstd',
  });
}

export function registerImageBuild(parent: Command, ctx: CliContext): void {
  const cmd = parent
    .command('build')
    .description('build a checkpoint image whose one layer is the archive itself, byte for byte')
    .argument('<archive>', 'checkpoint archive (.tar, or a gzip/zstd Podman export)')
    .option('-t, --tag <ref>', 'image reference, e.g. registry.example.com/checkpoints/app:v1')
    .option('--push', 'push the image to the registry named by --tag')
    .option('--oci-layout <dir>', 'write an OCI image layout to this directory')
    .option('--compression <kind>', 'layer compression: none, gzip or zstd', 'none')
    .option('--platform <platform>', 'auto (from the CRIU images) or os/arch', 'auto')
    .option('--source-node <name>', 'record the node the checkpoint came from')
    .option(
      '--annotation <key=value>',
      'add an annotation (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('-o, --output <format>', 'table, json or yaml', imageFormat, 'table');
  addEncryptToFlag(
    cmd,
    'encrypt the layer (ocicrypt, as skopeo --encryption-key jwe:FILE) to this RSA or EC public key PEM file (repeatable)',
  );
  addRegistryFlags(cmd).action(async (archive: string, flags: BuildFlags) => {
    const registry = await registryOptions(ctx, flags);
    const encryptTo = flags.encryptTo.length ? await imageRecipients(flags.encryptTo) : undefined;
    const result = await withProgress(ctx, async (progress) => {
      const options: BuildImageOptions = {
        ...registry,
        ...(flags.tag ? { reference: flags.tag } : {}),
        push: Boolean(flags.push),
        ...(flags.ociLayout ? { ociLayout: flags.ociLayout } : {}),
        compression: parseCompression(flags.compression),
        platform: flags.platform,
        ...(flags.sourceNode ? { sourceNode: flags.sourceNode } : {}),
        annotations: parseAnnotations(flags.annotation),
        ...(encryptTo ? { encryptTo } : {}),
        ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
        signal: ctx.signal,
      };
      const { buildImage } = await import('../../oci/index.js');
      return buildImage(archive, options);
    });
    // Only now, with the bars stopped and cleared, so the digest is printed whole and last.
    printBuildResult(ctx, flags.output, result);
  });
}
