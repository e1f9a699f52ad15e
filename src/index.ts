/**
 * kcr as a library. Each domain is its own subpath, imported on its own so that you pay only for
 * what you use: `kcr/archive`, `kcr/criu`, `kcr/forensics`, `kcr/oci`, `kcr/kube`, `kcr/ops`. This root
 * holds the few entry points the README starts with.
 */
export { KcrError, isKcrError, type KcrErrorCode } from './errors.js';
export {
  withCheckpoint,
  Checkpoint,
  inspect,
  INSPECT_VIEWS,
  type Inspection,
  type InspectOptions,
  type InspectView,
} from './forensics/index.js';
export { stringifyJson } from './util/json.js';
export { VERSION } from './version.js';
