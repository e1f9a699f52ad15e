/**
 * kcr's custom resources (group `kcr.dev`, version `v1alpha1`), defined once: these zod schemas
 * type and check every object the agent and controller read, and `crds.ts` generates the CRDs'
 * OpenAPI schemas from the same definitions, so the API server validates what the code expects.
 *
 * Only what a structural schema can say is used here: objects, arrays, strings, integers,
 * booleans, enums, maps of strings, and simple RE2-compatible patterns (no unions, no unknowns).
 * Objects are read leniently (`z.object`, not strict): an API server of a newer kcr may add fields.
 */
import { z } from 'zod';

export const GROUP = 'kcr.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** Labels kcr sets and reads on its objects. */
export const LABELS = {
  /** The node a Checkpoint runs on: agents watch their own (a label selector works on every server). */
  node: 'kcr.dev/node',
  /** The CheckpointSchedule that created a Checkpoint. */
  schedule: 'kcr.dev/schedule',
  /** The schedule run (its id) that created a Checkpoint. */
  run: 'kcr.dev/run',
} as const;

/** `kcr.dev/checkpoint-now=true` on a Pod asks every schedule covering it for a checkpoint now. */
export const CHECKPOINT_NOW_ANNOTATION = 'kcr.dev/checkpoint-now';

/** `kcr.dev/pinned=true` on a PodCheckpoint keeps it out of every retention policy. */
export const PINNED_ANNOTATION = 'kcr.dev/pinned';
/**
 * The node agent's finalizer on a completed PodCheckpoint: the object stays until the agent of its
 * node has removed the checkpoint's data there (the API server cannot reach a node's disk).
 */
export const NODE_DATA_FINALIZER = 'kcr.dev/node-data';
/** The size in bytes of a PodCheckpoint's data on its node, as its agent measured it (for max-size). */
export const NODE_DATA_BYTES_ANNOTATION = 'kcr.dev/node-data-bytes';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** `kcr prune`'s durations (util/units parseDuration): 90s, 30m, 12h, 7d, 2w, 1h30m. */
const DURATION = /^([0-9]+[smhdw])+$/;
/** `kcr prune`'s sizes (util/units parseSize): 500MiB, 20GiB, 1.5GB, 1048576. */
const SIZE = /^[0-9]+(\.[0-9]+)?([KMGTkmgt]i?[Bb]?|[Bb])?$/;

const podName = z.string().min(1).max(253).regex(DNS_SUBDOMAIN);
const containerName = z.string().min(1).max(63).regex(DNS_LABEL);
const time = z.string().describe('RFC 3339 time');

const encryption = z
  .object({
    recipients: z
      .array(z.string().min(1))
      .min(1)
      .describe(
        'who can read the backup: age recipients (age1…, ssh-ed25519 …, ssh-rsa …) for file:// and s3:// stores; RSA or EC public keys in PEM form for oci:// stores (an ocicrypt image)',
      ),
  })
  .describe('encrypt the archive before it leaves the node');

export const conditionSchema = z.object({
  type: z.string().min(1),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().min(1).describe('a CamelCase reason, e.g. CheckpointFailed'),
  message: z.string().describe('the text kcr prints: the error and its hint'),
  lastTransitionTime: time,
  observedGeneration: z.number().int().optional(),
});
export type Condition = z.infer<typeof conditionSchema>;

const metadataSchema = z.object({
  name: z.string(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().int().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  ownerReferences: z
    .array(
      z.object({
        apiVersion: z.string(),
        kind: z.string(),
        name: z.string(),
        uid: z.string(),
        controller: z.boolean().optional(),
        blockOwnerDeletion: z.boolean().optional(),
      }),
    )
    .optional(),
});
export type ObjectMeta = z.infer<typeof metadataSchema>;

// ---- Checkpoint ------------------------------------------------------------------------------

export const checkpointSpecSchema = z.object({
  pod: podName.describe('the Pod to checkpoint, in the Checkpoint’s namespace'),
  containers: z
    .array(containerName)
    .optional()
    .describe('the containers to checkpoint (default: all of them)'),
  nodeName: z
    .string()
    .optional()
    .describe('the node the Pod runs on; the controller fills it in when it is left out'),
  store: z
    .string()
    .min(1)
    .optional()
    .describe('where the backup goes (file://, s3://, oci://); default: the agent’s --store'),
  encryption: encryption.optional(),
  timeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(3600)
    .optional()
    .describe('the kubelet’s checkpoint timeout (default 120)'),
});
export type CheckpointSpec = z.infer<typeof checkpointSpecSchema>;

export const CHECKPOINT_PHASES = ['Pending', 'Checkpointing', 'Storing', 'Succeeded', 'Failed'] as const;
export type CheckpointPhase = (typeof CHECKPOINT_PHASES)[number];

export const checkpointContainerStatusSchema = z.object({
  name: z.string(),
  archivePath: z.string().optional().describe('the archive on the node, as the kubelet named it'),
  backupId: z.string().optional(),
  size: z.number().int().optional().describe('the archive’s size in bytes'),
  sha256: z.string().optional().describe('the archive’s sha256 (of the plaintext)'),
  archiveRemoved: z.boolean().optional().describe('the node’s copy was removed once stored'),
});

export const checkpointStatusSchema = z.object({
  phase: z.enum(CHECKPOINT_PHASES).optional(),
  nodeName: z.string().optional(),
  store: z.string().optional(),
  containers: z.array(checkpointContainerStatusSchema).optional(),
  startTime: time.optional(),
  checkpointTime: time.optional().describe('when the kubelet had written every archive'),
  storeTime: time.optional().describe('when every archive was in the store'),
  completionTime: time.optional(),
  attempts: z.number().int().optional(),
  conditions: z.array(conditionSchema).optional(),
  observedGeneration: z.number().int().optional(),
});
export type CheckpointStatus = z.infer<typeof checkpointStatusSchema>;

export const checkpointSchema = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('Checkpoint'),
  metadata: metadataSchema,
  spec: checkpointSpecSchema,
  status: checkpointStatusSchema.optional(),
});
export type Checkpoint = z.infer<typeof checkpointSchema>;

// ---- CheckpointSchedule -----------------------------------------------------------------------

export const retentionSchema = z
  .object({
    keepLast: z.number().int().min(0).optional(),
    maxAge: z.string().regex(DURATION).optional().describe('e.g. 7d, 12h'),
    maxSize: z.string().regex(SIZE).optional().describe('e.g. 20GiB'),
    per: z.enum(['container', 'pod', 'namespace']).optional().describe('what one budget covers'),
  })
  .describe('which of this schedule’s backups are kept (kcr prune’s rules)');
export type Retention = z.infer<typeof retentionSchema>;

export const podCheckpointRetentionSchema = z
  .object({
    keepLast: z.number().int().min(0).optional(),
    maxAge: z.string().regex(DURATION).optional().describe('e.g. 7d, 12h'),
    maxSize: z
      .string()
      .regex(SIZE)
      .optional()
      .describe('e.g. 20GiB, of the data on the nodes (as each node agent measured it)'),
    per: z
      .enum(['pod', 'namespace'])
      .optional()
      .describe('what one budget covers (default pod: a PodCheckpoint holds the whole Pod)'),
  })
  .describe(
    'which KEP-5823 PodCheckpoints of the covered Pods are kept; the others, and their data on the node, are removed (kcr.dev/pinned=true keeps one)',
  );
export type PodCheckpointRetention = z.infer<typeof podCheckpointRetentionSchema>;

const labelSelectorRequirement = z.object({
  key: z.string().min(1),
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
  values: z.array(z.string()).optional(),
});

export const scheduleSpecSchema = z.object({
  selector: z
    .object({
      matchLabels: z.record(z.string(), z.string()).optional(),
      matchExpressions: z.array(labelSelectorRequirement).optional(),
    })
    .describe('the Pods, in the schedule’s namespace, that the schedule covers (empty: all)'),
  containers: z.array(containerName).optional().describe('only these containers (default: all)'),
  triggers: z
    .object({
      cron: z
        .object({
          schedule: z.string().min(1).describe('five or six fields (seconds first), e.g. "0 2 * * *"'),
          timeZone: z.string().optional().describe('an IANA time zone, e.g. Europe/Berlin (default UTC)'),
        })
        .optional(),
      onAnnotation: z
        .boolean()
        .optional()
        .describe(
          'checkpoint a covered Pod annotated kcr.dev/checkpoint-now=true, then remove the annotation',
        ),
      beforeDrain: z
        .boolean()
        .optional()
        .describe('kcr drain NODE checkpoints the covered Pods on NODE first'),
    })
    .describe('when the schedule runs'),
  store: z.string().min(1).describe('where the backups go (file://, s3://, oci://)'),
  encryption: encryption.optional(),
  retention: retentionSchema.optional(),
  podCheckpointRetention: podCheckpointRetentionSchema.optional(),
  timeoutSeconds: z.number().int().min(1).max(3600).optional(),
  startingDeadlineSeconds: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('a cron run missed by more than this (controller down) is recorded as missed, not run late'),
  suspend: z.boolean().optional(),
});
export type ScheduleSpec = z.infer<typeof scheduleSpecSchema>;

export const RUN_PHASES = [
  'Creating',
  'Running',
  'Succeeded',
  'PartiallyFailed',
  'Failed',
  'Missed',
] as const;
export type RunPhase = (typeof RUN_PHASES)[number];

export const scheduleRunSchema = z.object({
  id: z.string().describe('unique per schedule: the trigger and its time, also the Checkpoints’ kcr.dev/run'),
  trigger: z.enum(['cron', 'annotation', 'drain']),
  target: z.string().optional().describe('the Pod (annotation) or node (drain) the run is limited to'),
  scheduledTime: time,
  startTime: time.optional(),
  completionTime: time.optional(),
  phase: z.enum(RUN_PHASES),
  checkpoints: z.number().int().optional(),
  succeeded: z.number().int().optional(),
  failed: z.number().int().optional(),
  message: z.string().optional(),
});
export type ScheduleRun = z.infer<typeof scheduleRunSchema>;

const prunedPodCheckpointSchema = z.object({
  name: z.string(),
  uid: z.string().optional(),
  pod: z.string().optional(),
  node: z.string().optional(),
  reason: z.string().describe('the limit and how this PodCheckpoint exceeds it'),
});

export const podCheckpointPruneStatusSchema = z.object({
  pending: z
    .array(prunedPodCheckpointSchema)
    .optional()
    .describe('chosen for removal, recorded before any is deleted: a restarted controller finishes them'),
  lastPruned: z.array(prunedPodCheckpointSchema).optional().describe('the latest removed, newest last'),
  lastPruneTime: time.optional(),
  pruned: z.number().int().optional(),
});
export type PodCheckpointPruneStatus = z.infer<typeof podCheckpointPruneStatusSchema>;

export const scheduleStatusSchema = z.object({
  lastScheduleTime: time.optional(),
  nextScheduleTime: time.optional(),
  lastSuccessfulTime: time.optional(),
  runs: z.array(scheduleRunSchema).optional().describe('the latest runs, newest last'),
  counts: z
    .object({
      runs: z.number().int().optional(),
      succeeded: z.number().int().optional(),
      failed: z.number().int().optional(),
      pruned: z.number().int().optional(),
    })
    .optional(),
  podCheckpoints: podCheckpointPruneStatusSchema
    .optional()
    .describe('retention of PodCheckpoints (spec.podCheckpointRetention)'),
  lastError: z.string().optional(),
  conditions: z.array(conditionSchema).optional(),
  observedGeneration: z.number().int().optional(),
});
export type ScheduleStatus = z.infer<typeof scheduleStatusSchema>;

export const scheduleSchema = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('CheckpointSchedule'),
  metadata: metadataSchema,
  spec: scheduleSpecSchema,
  status: scheduleStatusSchema.optional(),
});
export type CheckpointSchedule = z.infer<typeof scheduleSchema>;

// ---- Restore ------------------------------------------------------------------------------------

export const restoreSpecSchema = z.object({
  source: z
    .object({
      backup: z
        .object({ id: z.string().min(1), store: z.string().min(1) })
        .optional()
        .describe('a backup in a store, by id'),
      image: z.string().min(1).optional().describe('a checkpoint image, REGISTRY/REPO:TAG or @sha256:…'),
      podCheckpoint: z
        .string()
        .min(1)
        .optional()
        .describe(
          'a node.k8s.io PodCheckpoint in this namespace: restored on its node by spec.restoreFrom, or on spec.node through a checkpoint image in spec.repository',
        ),
    })
    .describe('exactly one of backup, image, podCheckpoint'),
  name: podName.optional().describe('the new Pod’s name (default: the original’s)'),
  namespace: z.string().optional().describe('the new Pod’s namespace (default: the Restore’s)'),
  node: z.string().optional().describe('the node to restore on (default: where it was checkpointed)'),
  expose: z.array(z.number().int().min(1).max(65535)).optional().describe('create a Service for these ports'),
  repository: z
    .string()
    .optional()
    .describe('where a backup’s archive is pushed as a checkpoint image, REGISTRY/REPOSITORY'),
});
export type RestoreSpec = z.infer<typeof restoreSpecSchema>;

export const RESTORE_PHASES = ['Pending', 'Restoring', 'Succeeded', 'Failed'] as const;

export const restoreStatusSchema = z.object({
  phase: z.enum(RESTORE_PHASES).optional(),
  podName: z.string().optional(),
  podNamespace: z.string().optional(),
  nodeName: z.string().optional(),
  image: z.string().optional(),
  method: z
    .enum(['image', 'restoreFrom'])
    .optional()
    .describe('restoreFrom: the KEP-5823 Pod on the PodCheckpoint’s node; image: kcr’s checkpoint image'),
  startTime: time.optional(),
  completionTime: time.optional(),
  conditions: z.array(conditionSchema).optional(),
  observedGeneration: z.number().int().optional(),
});
export type RestoreStatus = z.infer<typeof restoreStatusSchema>;

export const restoreSchema = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('Restore'),
  metadata: metadataSchema,
  spec: restoreSpecSchema,
  status: restoreStatusSchema.optional(),
});
export type Restore = z.infer<typeof restoreSchema>;

/** The three kinds, with their REST names, for the CRDs and the clients. */
export const KINDS = {
  Checkpoint: {
    plural: 'checkpoints',
    singular: 'checkpoint',
    shortNames: ['kcp'],
    object: checkpointSchema,
  },
  CheckpointSchedule: {
    plural: 'checkpointschedules',
    singular: 'checkpointschedule',
    shortNames: ['kcs'],
    object: scheduleSchema,
  },
  Restore: { plural: 'restores', singular: 'restore', shortNames: ['krs'], object: restoreSchema },
} as const;
export type KindName = keyof typeof KINDS;
