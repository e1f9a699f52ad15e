/**
 * Renderings of the image commands' results: `-o table` (the default) for people, as in every kcr
 * command with a human form, and `-o json|yaml` for machines.
 */
import { RESTORER_NAMES } from '../../archive/index.js';
import type { BuildImageResult, CheckpointImageInfo, PullResult, PushResult } from '../../oci/index.js';
import { formatBytes } from '../../util/units.js';
import type { CliContext } from '../context.js';
import { choiceWithAliases } from '../options.js';
import { toJson, toYaml } from './format.js';

export const IMAGE_FORMATS = ['table', 'json', 'yaml'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

/** `-o` of the image commands: kcr's names, and `text` (their first name) for `table`. */
export const imageFormat = choiceWithAliases('--output', IMAGE_FORMATS, { text: 'table' });

function emit(ctx: CliContext, format: ImageFormat, value: unknown, text: () => string): void {
  ctx.io.stdout.write(format === 'json' ? toJson(value) : format === 'yaml' ? toYaml(value) : text());
}

function pushLines(p: PushResult): string[] {
  const moved = p.blobs.map((b) => `  ${b.result.padEnd(8)} ${b.digest} (${formatBytes(b.size)})`);
  return [`pushed ${p.reference}@${p.digest}`, ...moved];
}

export function printBuildResult(ctx: CliContext, format: ImageFormat, r: BuildImageResult): void {
  if (!ctx.quiet) for (const w of r.warnings) ctx.io.stderr.write(`warning: ${w}\n`);
  emit(ctx, format, r, () => {
    const lines = [
      `built ${r.reference ?? '(no reference)'} for ${r.platform.os}/${r.platform.architecture}: container ${r.info.container} (${r.info.engine})`,
      `manifest ${r.digest}`,
      `layer    ${r.manifest.layers[0]?.digest} ${r.manifest.layers[0]?.mediaType} (${formatBytes(r.layerSize)})`,
      `restorable by: ${r.restorableBy.length ? r.restorableBy.map((x) => RESTORER_NAMES[x]).join(', ') : 'no Kubernetes runtime'}`,
    ];
    if (r.ociLayout) lines.push(`wrote OCI layout ${r.ociLayout}`);
    if (r.store) lines.push(`stored in ${r.store}; push it with: kcr image push ${r.reference}`);
    if (r.pushed) lines.push(...pushLines(r.pushed));
    return lines.join('\n') + '\n';
  });
}

export function printPushResult(ctx: CliContext, format: ImageFormat, r: PushResult): void {
  emit(ctx, format, r, () => pushLines(r).join('\n') + '\n');
}

export function printPullResult(ctx: CliContext, r: PullResult): void {
  const checks = [
    'layer digest',
    r.verified.diffId ? 'diff_id' : '',
    r.verified.annotation ? 'archive sha256 annotation' : '',
  ]
    .filter(Boolean)
    .join(', ');
  ctx.io.stdout.write(
    `pulled ${r.reference}@${r.digest} to ${r.output} (${formatBytes(r.size)}, ${r.archiveDigest}; checked: ${checks})\n`,
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
