/**
 * From a reference to one image manifest and its config: follows an index (multi-platform tags)
 * to the entry for the wanted platform, checks the shapes, and verifies every digest.
 */
import { arch as hostArch } from 'node:process';
import { z } from 'zod';
import { KcrError } from '../errors.js';
import { sha256Digest } from './digest.js';
import { parseJsonWith, validate } from '../util/validate.js';
import { descriptorSchema, imageConfigSchema, manifestSchema } from './documents.js';
import { readBody, responseHost } from './http.js';
import {
  isIndexMediaType,
  type Annotations,
  type OciDescriptor,
  type OciImageConfig,
  type OciManifest,
} from './media-types.js';
import { manifestReference, type ImageReference } from './reference.js';
import type { RegistryClient } from './registry-client.js';

const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

export interface ResolvedImage {
  manifest: OciManifest;
  manifestDigest: string;
  mediaType: string;
  /** Manifest annotations, over those of the index entry that led to it (containerd reads the latter). */
  annotations: Annotations;
  config: OciImageConfig;
}

/** Node's names for CPUs, as OCI (Go) spells them. */
function hostPlatform(): string {
  const map: Record<string, string> = {
    x64: 'amd64',
    arm64: 'arm64',
    arm: 'arm',
    ppc64: 'ppc64le',
    s390x: 's390x',
    riscv64: 'riscv64',
  };
  return `linux/${map[hostArch] ?? hostArch}`;
}

function pickFromIndex(
  ref: ImageReference,
  entries: OciDescriptor[],
  platform = hostPlatform(),
): OciDescriptor {
  const [os, arch] = platform.split('/');
  const match =
    entries.find((m) => m.platform?.os === os && m.platform?.architecture === arch) ??
    (entries.length === 1 ? entries[0] : undefined);
  if (match) return match;
  const have = entries
    .map((m) => (m.platform ? `${m.platform.os}/${m.platform.architecture}` : m.digest))
    .join(', ');
  throw new KcrError('not-found', `${ref.full}: no image for ${platform}`, {
    hint: `the index holds: ${have || 'nothing'}; pass --platform`,
  });
}

const DAMAGED = 'the image is damaged or not an OCI image';

/** Just enough of a manifest-or-index document to tell which it is. */
const documentSchema = z.looseObject({
  mediaType: z.string().optional(),
  manifests: z.array(z.unknown()).optional(),
  layers: z.unknown().optional(),
});

/** The entries of an index that are descriptors; the others cannot be pulled, so they are left out. */
function indexEntries(manifests: readonly unknown[]): OciDescriptor[] {
  return manifests.flatMap((m) => {
    const entry = descriptorSchema.safeParse(m);
    return entry.success ? [entry.data] : [];
  });
}

export async function fetchConfig(
  client: RegistryClient,
  descriptor: OciDescriptor,
  signal?: AbortSignal,
): Promise<OciImageConfig> {
  if (descriptor.size > MAX_CONFIG_BYTES) {
    throw new KcrError(
      'invalid-input',
      `config ${descriptor.digest} is ${descriptor.size} bytes, too large for an image config`,
    );
  }
  const res = await client.getBlob(descriptor.digest, signal);
  const bytes = await readBody(res, responseHost(res), signal, {
    maxBytes: MAX_CONFIG_BYTES,
    what: `config ${descriptor.digest}`,
  });
  const digest = sha256Digest(bytes);
  if (digest !== descriptor.digest) {
    throw new KcrError(
      'integrity',
      `${client.registry}/${client.repository}: config ${descriptor.digest} arrived with digest ${digest}`,
      {
        hint: 'the registry returned damaged data; do not trust this image',
      },
    );
  }
  return parseJsonWith(imageConfigSchema, bytes, { what: `config ${descriptor.digest}`, hint: DAMAGED });
}

export async function resolveImage(
  client: RegistryClient,
  ref: ImageReference,
  options: { platform?: string; signal?: AbortSignal } = {},
): Promise<ResolvedImage> {
  let got = await client.getManifest(manifestReference(ref), options.signal);
  let doc = parseJsonWith(documentSchema, got.bytes, { what: `${ref.full}: manifest`, hint: DAMAGED });
  let indexAnnotations: Annotations = {};
  if (
    isIndexMediaType(got.mediaType) ||
    isIndexMediaType(doc.mediaType) ||
    (doc.manifests !== undefined && doc.layers === undefined)
  ) {
    const entry = pickFromIndex(
      ref,
      indexEntries(doc.manifests ?? []),
      options.platform === 'auto' ? undefined : options.platform,
    );
    indexAnnotations = entry.annotations ?? {};
    got = await client.getManifest(entry.digest, options.signal);
    doc = parseJsonWith(documentSchema, got.bytes, {
      what: `${ref.full}: manifest ${entry.digest}`,
      hint: DAMAGED,
    });
  }
  const manifest = validate(manifestSchema, doc, {
    what: `${ref.full}: not an image manifest (schema 2 with config and layers)`,
    hint: 'kcr reads OCI and Docker v2 schema 2 images',
  });
  const config = await fetchConfig(client, manifest.config, options.signal);
  return {
    manifest,
    manifestDigest: got.digest,
    mediaType: got.mediaType || manifest.mediaType || '',
    annotations: { ...indexAnnotations, ...manifest.annotations },
    config,
  };
}
