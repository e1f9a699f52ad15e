/**
 * From a reference to one image manifest and its config: follows an index (multi-platform tags)
 * to the entry for the wanted platform, checks the shapes, and verifies every digest.
 */
import { arch as hostArch } from 'node:process';
import { KcrError } from '../errors.js';
import { sha256Digest } from './digest.js';
import { isJsonObject } from '../util/json.js';
import { readBody, responseHost } from './http.js';
import {
  isIndexMediaType,
  type Annotations,
  type OciDescriptor,
  type OciImageConfig,
  type OciIndex,
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

function pickFromIndex(ref: ImageReference, index: OciIndex, platform = hostPlatform()): OciDescriptor {
  const [os, arch] = platform.split('/');
  const entries = (Array.isArray(index.manifests) ? index.manifests : []).filter(isDescriptor);
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

function parseJson<T>(bytes: Buffer, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new KcrError('invalid-input', `${what}: ${(err as Error).message.toLowerCase()}`, {
      hint: 'the image is damaged or not an OCI image',
    });
  }
  if (!isJsonObject(value))
    throw new KcrError('invalid-input', `${what}: not a JSON object`, {
      hint: 'the image is damaged or not an OCI image',
    });
  return value as T;
}

function isDescriptor(value: unknown): value is OciDescriptor {
  return (
    isJsonObject(value) &&
    typeof value.digest === 'string' &&
    typeof value.size === 'number' &&
    typeof value.mediaType === 'string'
  );
}

function checkManifest(ref: ImageReference, manifest: OciManifest): void {
  if (
    manifest.schemaVersion !== 2 ||
    !isDescriptor(manifest.config) ||
    !Array.isArray(manifest.layers) ||
    !manifest.layers.every(isDescriptor)
  ) {
    throw new KcrError(
      'invalid-input',
      `${ref.full}: not an image manifest (schema 2 with config and layers)`,
      {
        hint: 'kcr reads OCI and Docker v2 schema 2 images',
      },
    );
  }
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
  const res = await client.getBlob(descriptor.digest, signal, 'document');
  // Not one byte past the size the manifest declared (a config is small; a registry may not inflate it).
  const bytes = await readBody(res, responseHost(res), signal, {
    maxBytes: descriptor.size,
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
  return parseJson<OciImageConfig>(bytes, `config ${descriptor.digest}`);
}

export async function resolveImage(
  client: RegistryClient,
  ref: ImageReference,
  options: { platform?: string; signal?: AbortSignal } = {},
): Promise<ResolvedImage> {
  let got = await client.getManifest(manifestReference(ref), options.signal);
  let doc = parseJson<OciManifest & OciIndex>(got.bytes, `${ref.full}: manifest`);
  let indexAnnotations: Annotations = {};
  if (
    isIndexMediaType(got.mediaType) ||
    isIndexMediaType(doc.mediaType) ||
    (Array.isArray(doc.manifests) && !doc.layers)
  ) {
    const entry = pickFromIndex(ref, doc, options.platform === 'auto' ? undefined : options.platform);
    indexAnnotations = entry.annotations ?? {};
    got = await client.getManifest(entry.digest, options.signal);
    doc = parseJson<OciManifest & OciIndex>(got.bytes, `${ref.full}: manifest ${entry.digest}`);
  }
  checkManifest(ref, doc);
  const config = await fetchConfig(client, doc.config, options.signal);
  return {
    manifest: doc,
    manifestDigest: got.digest,
    mediaType: got.mediaType || doc.mediaType || '',
    annotations: { ...indexAnnotations, ...doc.annotations },
    config,
  };
}
