/** Checkpoint images: build, OCI layout, and the registry client (distribution API and auth). */
export * from './media-types.js';
export * from './digest.js';
export * from './reference.js';
export * from './annotations.js';
export * from './progress.js';
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
export {
  pushImage,
  publishCheckpointImage,
  pushOciLayout,
  type PushOptions,
  type PushResult,
  type PushableImage,
  type PublishOptions,
} from './push.js';
