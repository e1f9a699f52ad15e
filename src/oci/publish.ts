/**
 * The build entry points: build an image from an archive and put it where asked (registry,
 * OCI layout, local store), disposing of temp files whatever happens.
 */
import { KcrError } from '../errors.js';
import { RESTORER_NAMES, restorersOf, type CheckpointInfo, type Restorer } from '../archive/index.js';
import { buildCheckpointImage, imageBlobs, type BuildOptions, type BuiltImage } from './build.js';
import { readOciLayout, writeOciLayout } from './layout.js';
import type { OciManifest, OciPlatform } from './media-types.js';
import type { TransferProgress } from './progress.js';
import {
  checkPushTarget,
  pushImage,
  pushWith,
  uploadOptions,
  type PushOptions,
  type PushResult,
} from './push.js';
import { parseLayoutReference, parseReference, toReference, type ImageReference } from './reference.js';
import { withRegistry, type RegistryOptions } from './registry-client.js';
import { imageStoreDir } from './store.js';
import { uploadHashing } from './upload.js';

export interface PublishOptions extends RegistryOptions {
  compression?: 'none' | 'gzip' | 'zstd';
  sourceNode?: string;
  onProgress?: (p: TransferProgress) => void;
  signal?: AbortSignal;
  platform?: string;
  annotations?: BuildOptions['annotations'];
  encryptTo?: BuildOptions['encryptTo'];
}

function pushable(image: BuiltImage) {
  return { manifest: image.manifest, manifestBytes: image.manifestBytes, blobs: imageBlobs(image) };
}

/**
 * Builds the image and pushes it over one registry session. The layer, when it is the archive
 * itself (uncompressed, unencrypted), is uploaded while it is hashed, before the config and the
 * manifest that name its digest exist: the archive is read once. `use` sees the image before its
 * temp files go.
 */
async function buildAndPush<T>(
  archivePath: string,
  target: ImageReference,
  options: PublishOptions,
  use: (image: BuiltImage, pushed: PushResult) => T,
): Promise<T> {
  checkPushTarget(target);
  return withRegistry(target.registry, target.repository, 'push', options, async (client) => {
    const uploaded = new Set<string>();
    const image = await buildCheckpointImage(archivePath, {
      ...options,
      hashLayer: async (path) => {
        const hashed = await uploadHashing(client, path, uploadOptions(options, 'layer'));
        uploaded.add(hashed.digest);
        return hashed;
      },
    });
    try {
      return use(image, await pushWith(client, pushable(image), target, options, uploaded));
    } finally {
      await image.dispose();
    }
  });
}

/** Builds the checkpoint image from an archive and pushes it; only temp files touch the disk. */
export async function publishCheckpointImage(
  archivePath: string,
  reference: ImageReference | string,
  options: PublishOptions = {},
): Promise<{ reference: string; digest: string; manifest: OciManifest }> {
  return buildAndPush(archivePath, toReference(reference), options, (_image, pushed) => ({
    reference: pushed.reference,
    digest: pushed.digest,
    manifest: pushed.manifest,
  }));
}

export interface BuildImageOptions extends PublishOptions {
  /** `REGISTRY/REPO:TAG`; needed for push and for the local store. */
  reference?: string;
  push?: boolean;
  /** Write an OCI image layout here (the entry is named by the reference's tag). */
  ociLayout?: string;
  /** Environment for finding the local store (tests point it elsewhere). */
  env?: NodeJS.ProcessEnv;
}

export interface BuildImageResult {
  reference?: string;
  digest: string;
  manifest: OciManifest;
  platform: OciPlatform;
  info: CheckpointInfo;
  archiveDigest: string;
  layerSize: number;
  /** The Kubernetes runtimes that can restore the image (CRI-O, containerd 2.x). */
  restorableBy: Restorer[];
  /** For each runtime that cannot, why. */
  notRestorableBy: Partial<Record<Restorer, string[]>>;
  /** Set when the runtime that wrote the archive cannot restore it (a damaged or hand-made archive). */
  warnings: string[];
  /** Where the image went. */
  ociLayout?: string;
  store?: string;
  pushed?: PushResult;
}

/** Who can restore the image, and a warning when not even the runtime that wrote the archive can. */
function restoreVerdict(
  image: BuiltImage,
): Pick<BuildImageResult, 'restorableBy' | 'notRestorableBy' | 'warnings'> {
  const fit = image.restoreFit;
  const notRestorableBy = Object.fromEntries(
    (Object.keys(fit) as Restorer[]).filter((r) => fit[r].length > 0).map((r) => [r, fit[r]]),
  );
  const engine = image.info.engine;
  const warnings =
    engine !== 'podman' && fit[engine].length > 0
      ? [`${RESTORER_NAMES[engine]} cannot restore this image: ${fit[engine].join('; ')}`]
      : [];
  return { restorableBy: restorersOf(fit), notRestorableBy, warnings };
}

/**
 * `kcr image build`: to the registry (--push), to an OCI layout (--oci-layout), or, when neither is
 * asked for, to the local store so that `kcr image push REF` can send it later.
 */
export async function buildImage(
  archivePath: string,
  options: BuildImageOptions = {},
): Promise<BuildImageResult> {
  const target = options.reference ? parseReference(options.reference) : undefined;
  if (!target && (options.push || !options.ociLayout)) {
    throw new KcrError('usage', 'an image reference is needed to push or store the image', {
      hint: 'pass -t REGISTRY/REPOSITORY:TAG',
    });
  }
  const resultOf = (image: BuiltImage): BuildImageResult => ({
    ...(target ? { reference: target.full } : {}),
    digest: image.manifestDigest,
    manifest: image.manifest,
    platform: image.platform,
    info: image.info,
    archiveDigest: image.layer.diffId,
    layerSize: image.layer.descriptor.size,
    ...restoreVerdict(image),
  });
  if (options.push && target && !options.ociLayout) {
    return buildAndPush(archivePath, target, options, (image, pushed) => ({ ...resultOf(image), pushed }));
  }
  const image = await buildCheckpointImage(archivePath, options);
  try {
    const result = resultOf(image);
    if (options.ociLayout) {
      await writeOciLayout(image, options.ociLayout, {
        refName: target?.tag ?? 'latest',
        onProgress: options.onProgress,
      });
      result.ociLayout = options.ociLayout;
    }
    if (!options.push && !options.ociLayout && target) {
      const store = imageStoreDir(options.env);
      await writeOciLayout(image, store, { refName: target.full, onProgress: options.onProgress });
      result.store = store;
    }
    if (options.push && target) result.pushed = await pushImage(pushable(image), target, options);
    return result;
  } finally {
    await image.dispose();
  }
}

export interface PushFromOptions extends PushOptions {
  env?: NodeJS.ProcessEnv;
}

/**
 * `kcr image push SOURCE [DEST]`: SOURCE is `oci:DIR[:NAME]`, or a reference built into the local
 * store; DEST defaults to SOURCE for stored images.
 */
export async function pushBuiltImage(
  source: string,
  destination: string | undefined,
  options: PushFromOptions = {},
): Promise<PushResult> {
  const layoutRef = parseLayoutReference(source);
  if (layoutRef && !destination) {
    throw new KcrError('usage', `${source}: pushing a layout needs a destination`, {
      hint: 'kcr image push oci:DIR[:NAME] REGISTRY/REPOSITORY:TAG',
    });
  }
  const sourceRef = layoutRef ? undefined : parseReference(source);
  const layout = layoutRef
    ? await readOciLayout(layoutRef.dir, layoutRef.tag)
    : await readOciLayout(imageStoreDir(options.env), sourceRef!.full).catch((err: unknown) => {
        if (err instanceof KcrError && err.code === 'not-found') {
          throw new KcrError('not-found', `${sourceRef!.full}: no such image in the local store`, {
            hint: 'build it first with `kcr image build ARCHIVE -t REF`, or push an OCI layout with oci:DIR',
            cause: err,
          });
        }
        throw err;
      });
  const target = parseReference(destination ?? sourceRef!.full);
  return pushImage(
    {
      manifest: layout.manifest,
      manifestBytes: layout.manifestBytes,
      manifestMediaType: layout.entry.mediaType,
      blobs: layout.blobs,
    },
    target,
    options,
  );
}
