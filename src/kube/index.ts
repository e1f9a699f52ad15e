/**
 * `kcr/kube`: Kubernetes. Kubeconfig and in-cluster access, the kubelet checkpoint call (through
 * the API server's node proxy or direct), copying archives off nodes, restore manifests and the
 * restored objects, doctor checks and setup configuration. It talks to the cluster only; the
 * multi-step operations (checkpoint and copy, restore, migrate) are `kcr/ops`.
 */
export {
  loadKubeconfig,
  hasKubeconfig,
  kubeconfigFiles,
  type KubeconfigOptions,
  type LoadedKubeconfig,
} from './kubeconfig.js';
export { KubeClient } from './client.js';
export { apiError, parseStatus, type KubeStatus } from './api-errors.js';
export {
  ProxiedKubelet,
  DirectKubelet,
  kubeletUrlForNode,
  type KubeletEndpoint,
  type KubeletTlsOptions,
  type KubeletVia,
} from './kubelet.js';
export {
  requestCheckpoint,
  KUBELET_DEFAULT_TIMEOUT_SECONDS,
  type CheckpointCall,
} from './checkpoint-call.js';
export { checkpointError, type CheckpointErrorContext } from './checkpoint-errors.js';
export {
  CheckpointSession,
  type CheckpointSelection,
  type CheckpointTarget,
  type PlannedCheckpoint,
  type NodeCopyOptions,
} from './checkpoint-session.js';
export {
  chooseContainers,
  DEFAULT_CONTAINER_ANNOTATION,
  ApiServerPods,
  KubeletPods,
  type PodSource,
  type ContainerChoice,
} from './resolve.js';
export { parseSelector, matchesSelector, type Requirement } from './selector.js';
export { copyFromNode, type CopyFromNodeOptions, type CopyProgress, type CopyResult } from './copy.js';
export { execInPod, EXEC_PROTOCOLS, type ExecOptions, type ExecResult } from './exec.js';
export { helperPodManifest, DEFAULT_HELPER_IMAGE, type HelperPod, type HelperPodSpec } from './helper-pod.js';
export {
  restoreManifests,
  CRIO_IGNORED_MOUNTS,
  RESTORE_LABEL,
  RESTORED_FROM_LABEL,
  type ManifestInput,
  type RestoreManifests,
} from './restore-manifest.js';
export {
  createRestoredPod,
  createRestoredService,
  waitRestored,
  type WaitRestoredOptions,
} from './restore-objects.js';
export { readRestoreNode, checkRestoreRuntime, engineOfNode, type CheckpointOrigin } from './restore-node.js';
export { placementOn, type Placement, type TargetNode } from './node-placement.js';
export { checkPodName, derivedPodName } from './names.js';
export { restoreHint } from './restore-hints.js';
export {
  waitForRunning,
  podFailure,
  podEvents,
  isRunning,
  type WaitOptions,
  type WaitOutcome,
  type PodFailure,
} from './pod-status.js';
export {
  doctor,
  type DoctorOptions,
  type DoctorReport,
  type Finding,
  type FindingStatus,
  type CheckName,
} from './doctor.js';
export {
  runtimeInfo,
  parseVersion,
  CONTAINERD_RESTORE_OPTION,
  type RestorePath,
  type RuntimeInfo,
  type Semver,
} from './versions.js';
export {
  kubeadmConfig,
  crioDropIn,
  runcConf,
  mergeRuncConf,
  installCrioConfig,
  DEFAULT_KUBERNETES_VERSION,
  CRI_SOCKETS,
  CRIO_DROP_IN_PATH,
  RUNC_CONF_PATH,
  type KubeadmOptions,
  type InstalledFile,
} from './setup.js';
export {
  podCheckpointsServed,
  notServedError,
  createPodCheckpoint,
  readPodCheckpoint,
  deletePodCheckpoint,
  listPodCheckpoints,
  parsePodCheckpoint,
  patchPodCheckpointMetadata,
  waitPodCheckpoint,
  podCheckpointState,
  podCheckpointError,
  completedData,
  restoreFromManifest,
  createRestoreFromPod,
  POD_CHECKPOINT_GROUP,
  POD_CHECKPOINT_VERSION,
  POD_CHECKPOINT_PLURAL,
  POD_CHECKPOINT_ROOT,
  POD_CHECKPOINT_ENABLE_HINT,
  type PodCheckpoint,
  type PodCheckpointState,
  type PodCheckpointReason,
  type WaitPodCheckpointOptions,
} from './pod-checkpoint.js';
/** The Pod object as kcr reads it from a file or a kubelet: the fields it uses, checked. */
export { podSchema } from './documents.js';
