/**
 * `kcr/cluster`: kcr in the cluster. The custom resources (Checkpoint, CheckpointSchedule, Restore
 * in kcr.dev/v1alpha1: zod schemas for the code, the CRDs generated from them), the install
 * manifests (`kcr install`, deploy/), the node agent's and the controller's work, and their metrics.
 */
export * from './resources.js';
export {
  customResourceDefinition,
  customResourceDefinitions,
  openApiSchema,
  type CustomResourceDefinition,
  type JsonSchema,
} from './crds.js';
export {
  installManifests,
  AGENT_RULES,
  CONTROLLER_RULES,
  DEFAULT_NAMESPACE,
  DEFAULT_IMAGE,
  DEFAULT_CHECKPOINT_DIR,
  LEASE_NAME,
  METRICS_PORT,
  type InstallOptions,
  type KubeManifest,
} from './manifests.js';
export { applyManifests, type AppliedObject } from './install.js';
export { Metrics } from './metrics.js';
export { serveEndpoints, endpointsApp, type Endpoints } from './http-endpoints.js';
export { reasonFor, errorText, setCondition } from './conditions.js';
export {
  carryOutCheckpoint,
  localArchivePath,
  StoreCache,
  type AgentDeps,
  type CheckpointWork,
  type PodObject,
} from './agent-checkpoint.js';
export { NodeAgent, type AgentOptions } from './agent.js';
export { Controller, type ControllerOptions } from './controller.js';
export { LeaderElector, type LeaderOptions } from './leader.js';
export { Informer, type InformerOptions } from './informer.js';
export { KcrApi } from './kcr-api.js';
export { ScheduleController, coveredPods, type ScheduleDeps } from './schedule-controller.js';
export { carryOutRestore, type RestoreDeps } from './restore-controller.js';
export { dueCronRun, checkpointName, runId, tallyRun, compactTime } from './schedule-runs.js';
export { drain, type DrainOptions, type DrainEvent, type DrainResult } from './drain.js';
export {
  selectPodCheckpoints,
  podCheckpointsInUse,
  type PodCheckpointDecision,
  type PodView,
} from './pod-checkpoint-retention.js';
export {
  planPodCheckpointPrune,
  applyPodCheckpointPrune,
  planScheduleRetention,
  prunePodCheckpoints,
  type PodCheckpointPruneDeps,
} from './pod-checkpoint-pruning.js';
export { PodCheckpointNodeData, type PodCheckpointDataOptions } from './pod-checkpoint-node-data.js';
