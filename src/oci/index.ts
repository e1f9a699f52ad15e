/**
 * `kcr/oci`: checkpoint images. Build one from an archive (its single layer is the archive, byte
 * for byte, annotated for CRI-O, containerd and Podman), write and read OCI layouts, push, pull
 * and inspect through the registry client (distribution API, Bearer/Basic auth, docker config).
 */
export {
  MEDIA_TYPES,
  layerMediaType,
  layerCompression,
  isIndexMediaType,
  type LayerCompression,
  type Annotations,
  type OciDescriptor,
  type OciPlatform,
  type OciManifest,
  type OciIndex,
  type OciImageConfig,
} from './media-types.js';
export { isDigest, sha256Digest, digestHex, digestFile } from './digest.js';
export {
  parseReference,
  parseRepository,
  parseLayoutReference,
  formatReference,
  toReference,
  withTag,
  withDigest,
  type ImageReference,
  type LayoutReference,
} from './reference.js';
export {
  ANNOTATIONS,
  checkpointAnnotations,
  readCheckpointAnnotations,
  isCheckpointImage,
  type AnnotationFacts,
  type AnnotatedCheckpoint,
} from './annotations.js';
export type { TransferPhase, TransferProgress, ProgressCallback } from './progress.js';
export {
  buildCheckpointImage,
  imageBlobs,
  resolvePlatform,
  type BuildOptions,
  type BlobSource,
  type BuiltImage,
} from './build.js';
export {
  writeOciLayout,
  readOciLayout,
  blobPath,
  type LayoutImage,
  type LayoutWritable,
  type WriteLayoutOptions,
} from './layout.js';
export { resolveCredentials, type Credentials, type CredentialOptions } from './credentials.js';
export {
  RegistryClient,
  withRegistry,
  type RegistryOptions,
  type Access,
  type ConnectOptions,
} from './registry-client.js';
export { uploadBlob, type UploadOptions, type UploadResult } from './upload.js';
export { pushImage, pushOciLayout, type PushOptions, type PushResult, type PushableImage } from './push.js';
export {
  publishCheckpointImage,
  buildImage,
  pushBuiltImage,
  type PublishOptions,
  type BuildImageOptions,
  type BuildImageResult,
  type PushFromOptions,
} from './publish.js';
export {
  imageStoreDir,
  isStoredImage,
  listStoredImages,
  removeStoredImage,
  type StoredImage,
} from './store.js';
export { pullCheckpointImage, type PullOptions, type PullResult, type PullTarget } from './pull.js';
export {
  inspectCheckpointImage,
  listImageTags,
  type InspectOptions,
  type CheckpointImageInfo,
} from './inspect.js';
export { resolveImage, type ResolvedImage } from './resolve.js';
export {
  OCICRYPT_ANNOTATIONS,
  LAYER_CIPHER,
  isEncryptedMediaType,
  decryptedMediaType,
  parseOcicryptRecipient,
  parseOcicryptIdentity,
  publicKeyFingerprint,
  unwrapLayerKey,
  createLayerDecryptStream,
  type LayerKey,
} from './ocicrypt.js';
