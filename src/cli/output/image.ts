/**
 * Renderings of the image commands' results: `-o table` (the default) for people, as in every kcr
 * command with a human form, and `-o json|yaml` for machines.
 */
import { RESTORER_NAMES } from '../../archive/index.js';
import type { BuildImageResult, CheckpointImageInfo, PullResult, PushResult } from '../../oci/index.js';
import { formatBytes } from '../../util/units.js';
import type { CliContext, OutputStream } from '../context.js';
import { outputFormat } from '../options.js';
import { toJson, toYaml } from './format.js';

export const IMAGE_FORMATS = ['table', 'json', 'yaml'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

/**
 * `-o` of the image commands: kcr's names, and `text` (their first name) for `table`; `fileFlag`
 * names the flag a path belongs to, for commands that write files.
 */
export function imageFormatFor(fileFlag?: string) {
  return outputFormat(IMAGE_FORMATS, { aliases: { text: 'table' }, ...(fileFlag ? { fileFlag } : {}) });
}
export const imageFormat = imageFormatFor();

function emit(
  ctx: CliContext,
  format: ImageFormat,
  value: unknown,
  text: () => string,
  out: OutputStream = ctx.io.stdout,
): void {
  out.write(format === 'json' ? toJson(value) : format === 'yaml' ? toYaml(value) : text());
}

/**
 * The text results keep each line within 80 columns where the values allow (a digest line is 78),
 * so nothing a user copies is wrapped or cut: a digest always sits whole on its own line. Blobs
 * are named by their short digest, as docker push does; -o json has every digest in full.
 */
function pushLines(p: PushResult, withDigest: boolean): string[] {
  const moved = p.blobs.map(
    (b) => `       ${shortDigest(b.digest)}  ${b.result.padEnd(7)} ${formatBytes(b.size)}`,
  );
  return [`pushed ${p.reference}`, ...(withDigest ? [`digest ${p.digest}`] : []), ...moved];
}

const shortDigest = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

export function printBuildResult(ctx: CliContext, format: ImageFormat, r: BuildImageResult): void {
  if (!ctx.quiet) for (const w of r.warnings) ctx.io.stderr.write(`warning: ${w}\n`);
  emit(ctx, format, r, () => {
    const layer = r.manifest.layers[0];
    const lines = [
      `built ${r.reference ?? '(no reference)'} for ${r.platform.os}/${r.platform.architecture}: container ${r.info.container} (${r.info.engine})`,
      `digest ${r.digest}`,
      `layer  ${layer?.digest}`,
      `       ${layer?.mediaType}, ${formatBytes(r.layerSize)}`,
      `restorable by: ${r.restorableBy.length ? r.restorableBy.map((x) => RESTORER_NAMES[x]).join(', ') : 'no Kubernetes runtime'}`,
    ];
    if (r.ociLayout) lines.push(`wrote OCI layout ${r.ociLayout}`);
    if (r.store) lines.push(`stored in ${r.store}`, `push it with: kcr image push ${r.reference}`);
    if (r.pushed) lines.push(...pushLines(r.pushed, r.pushed.digest !== r.digest));
    return lines.join('\n') + '\n';
  });
}

export function printPushResult(ctx: CliContext, format: ImageFormat, r: PushResult): void {
  emit(ctx, format, r, () => pushLines(r, true).join('\n') + '\n');
}

export function printPullResult(
  ctx: CliContext,
  format: ImageFormat,
  r: PullResult,
  out: OutputStream = ctx.io.stdout,
): void {
  const checks = [
    'layer digest',
    r.verified.diffId ? 'diff_id' : '',
    r.verified.annotation ? 'archive sha256 annotation' : '',
  ]
    .filter(Boolean)
    .join(', ');
  const to = r.output === '-' ? 'stdout' : r.output;
  emit(
    ctx,
    format,
    r,
    // One fact a line, as image build prints its result: the digests fit 80 columns whole.
    () =>
      [
        `pulled ${r.reference} to ${to} (${formatBytes(r.size)})`,
        `digest  ${r.digest}`,
        `archive ${r.archiveDigest}`,
        `checked ${checks}`,
      ].join('\n') + '\n',
    out,
  );
}

export function printImageInfo(ctx: CliContext, format: ImageFormat, info: CheckpointImageInfo): void {
  emit(ctx, format, info, () => {
    const rows: [string, string | number | undefined][] = [
      ['Reference', info.reference],
      ['Digest', info.digest],
      ['Checkpoint', info.checkpoint ? 'yes' : 'no (no restorer annotation)'],
      ['Container', info.container],
      ['Pod', info.pod],
      ['Namespace', info.namespace],
      ['Engine', info.engine],
      ['Runtime', info.runtime],
      ['Rootfs image', info.rootfsImage],
      ['Platform', `${info.os}/${info.architecture}`],
      ['Checkpointed', info.checkpointedAt],
      ['Created', info.created],
      ['Size', `${formatBytes(info.size)} in ${info.layers.length} layer(s)`],
      ['Archive sha256', info.archiveDigest],
      ['Source node', info.sourceNode],
    ];
    const width = Math.max(...rows.map(([k]) => k.length)) + 1;
    return (
      rows
        .filter(([, v]) => v !== undefined && v !== '')
        .map(([k, v]) => `${(k + ':').padEnd(width)} ${v}`)
        .join('\n') + '\n'
    );
  });
}
