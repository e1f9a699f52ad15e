/**
 * Which Kubernetes container runtime can restore an archive, from what each one's restore path
 * reads (docs/checkpoint-format.md §E.4, §E.5). CRI-O reads `io.kubernetes.cri-o.Annotations` from
 * spec.dump, which only CRI-O writes; containerd 2.x reads status.dump (only containerd writes it)
 * and config.dump's base image, from an image root of regular files and directories only. So each
 * restores only its own archives, and a Podman export neither.
 */
import { z } from 'zod';
import { tryParseJsonWith } from '../util/validate.js';
import type { CheckpointArchive } from './archive.js';
import type { ArchiveMetadata } from './engine.js';

export type Restorer = 'cri-o' | 'containerd';

/** How people write the runtimes' names. */
export const RESTORER_NAMES: Record<Restorer, string> = { 'cri-o': 'CRI-O', containerd: 'containerd' };

/** For each runtime, why it cannot restore the archive; an empty list means it can. */
export type RestoreFit = Record<Restorer, string[]>;

/** distribution/reference's grammar, enough to tell a name containerd can tag from one it refuses. */
const REFERENCE =
  /^(?:[a-zA-Z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$/;

/**
 * CRI-O's restore unmarshals this annotation into the container's annotations (a Go
 * map[string]string); a pod without annotations gives `null` (a real CRI-O 1.36 writes that).
 */
const crioAnnotationsSchema = z.record(z.string(), z.string()).nullable();

function crioProblems(archive: CheckpointArchive, { spec }: ArchiveMetadata): string[] {
  const problems: string[] = [];
  const annotations = spec.annotations?.['io.kubernetes.cri-o.Annotations'];
  if (annotations === undefined) {
    problems.push('spec.dump has no io.kubernetes.cri-o.Annotations, which only CRI-O writes');
  } else if (tryParseJsonWith(crioAnnotationsSchema, annotations) === undefined) {
    problems.push('spec.dump has an io.kubernetes.cri-o.Annotations that is not a JSON object of strings');
  }
  if (!archive.has('config.dump')) problems.push('there is no config.dump');
  if (!archive.has('checkpoint/inventory.img')) problems.push('there is no checkpoint/inventory.img');
  return problems;
}

function containerdProblems(archive: CheckpointArchive, { config }: ArchiveMetadata): string[] {
  const problems: string[] = [];
  if (!archive.has('status.dump')) problems.push('there is no status.dump, which only containerd writes');
  if (!archive.has('config.dump')) problems.push('there is no config.dump');
  else {
    if (!config?.rootfsImageRef) problems.push('config.dump names no rootfsImageRef (the base image)');
    if (!config?.rootfsImageName || !REFERENCE.test(config.rootfsImageName))
      problems.push(
        `config.dump's rootfsImageName ${JSON.stringify(config?.rootfsImageName ?? '')} is no image reference`,
      );
  }
  if (!archive.has('checkpoint/inventory.img'))
    problems.push('there is no checkpoint/ with an inventory.img');
  const odd = archive.members().filter((m) => m.type !== 'file' && m.type !== 'dir');
  if (odd.length > 0) {
    const first = odd[0]!;
    problems.push(
      `${first.name} is a ${first.type}${odd.length > 1 ? ` (and ${odd.length - 1} more entries are neither files nor directories)` : ''}; containerd takes regular files and directories only`,
    );
  }
  return problems;
}

export function restoreFit(archive: CheckpointArchive, metadata: ArchiveMetadata): RestoreFit {
  return { 'cri-o': crioProblems(archive, metadata), containerd: containerdProblems(archive, metadata) };
}

/** The runtimes that can restore the archive. */
export function restorersOf(fit: RestoreFit): Restorer[] {
  return (Object.keys(fit) as Restorer[]).filter((r) => fit[r].length === 0);
}
