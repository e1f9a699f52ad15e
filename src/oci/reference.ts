/**
 * Image references as Docker and containers/image write them: `[registry/]repository[:tag][@digest]`,
 * optionally prefixed `docker://`. A name without a registry means Docker Hub, as everywhere else.
 */
import { KcrError } from '../errors.js';
import { isDigest } from './digest.js';

export interface ImageReference {
  /** The registry as written (`host[:port]`), `docker.io` for Docker Hub. */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
  /** The canonical form, e.g. `127.0.0.1:5000/checkpoints/counter:v1`. */
  readonly full: string;
}

const DOCKER_HUB = 'docker.io';
// Lower-case path components separated by one `/`, as the distribution spec's name grammar allows.
const REPO_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;

function badReference(input: string, why: string): KcrError {
  return new KcrError('usage', `${input}: invalid image reference: ${why}`, {
    hint: 'write it as REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST], e.g. 127.0.0.1:5000/checkpoints/counter:v1',
  });
}

export function formatReference(ref: Omit<ImageReference, 'full'>): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

export function parseReference(input: string): ImageReference {
  return parse(input, true);
}

/**
 * A place to push to, `REGISTRY/REPOSITORY[:TAG]`: like parseReference, but a missing tag stays
 * missing (the caller picks one, e.g. restore's CONTAINER-TIME).
 */
export function parseRepository(input: string): ImageReference {
  return parse(input, false);
}

/** Library callers may pass text; kcr's own callers pass the value they parsed once. */
export function toReference(input: ImageReference | string): ImageReference {
  return typeof input === 'string' ? parseReference(input) : input;
}

/** The same repository with `tag` and no digest, or with `digest` and no tag. */
export function withTag(ref: ImageReference, tag: string): ImageReference {
  const parts = { registry: ref.registry, repository: ref.repository, tag };
  return { ...parts, full: formatReference(parts) };
}

export function withDigest(ref: ImageReference, digest: string): ImageReference {
  const parts = { registry: ref.registry, repository: ref.repository, digest };
  return { ...parts, full: formatReference(parts) };
}

function parse(input: string, defaultTag: boolean): ImageReference {
  let rest = input.startsWith('docker://') ? input.slice('docker://'.length) : input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) throw badReference(input, `${digest} is not a sha256 digest`);
  }
  let registry = DOCKER_HUB;
  const slash = rest.indexOf('/');
  const first = slash === -1 ? '' : rest.slice(0, slash);
  if (
    first &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['))
  ) {
    registry = first;
    rest = rest.slice(slash + 1);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon !== -1) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw badReference(input, `${JSON.stringify(tag)} is not a valid tag`);
  }
  let repository = rest;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (!REPO_RE.test(repository))
    throw badReference(input, `${JSON.stringify(rest)} is not a valid repository name`);
  if (!tag && !digest && defaultTag) tag = 'latest';
  const parts = { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
  return { ...parts, full: formatReference(parts) };
}

/** The host the API lives on: Docker Hub's API is not at docker.io. */
export function registryApiHost(registry: string): string {
  return registry === DOCKER_HUB ? 'registry-1.docker.io' : registry;
}

/** The tag or digest a manifest is addressed by. */
export function manifestReference(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/** `oci:DIR[:TAG]`, the OCI image layout transport as skopeo writes it. */
export interface LayoutReference {
  dir: string;
  tag?: string;
}

export function parseLayoutReference(input: string): LayoutReference | undefined {
  if (!input.startsWith('oci:')) return undefined;
  const body = input.slice('oci:'.length);
  // A tag follows the last colon, unless that colon is part of the path (no slash after it is allowed in tags).
  const colon = body.lastIndexOf(':');
  if (colon > 0 && !body.slice(colon + 1).includes('/')) {
    return { dir: body.slice(0, colon), tag: body.slice(colon + 1) };
  }
  return { dir: body };
}
