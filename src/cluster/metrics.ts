/**
 * The Prometheus metrics of the agent and the controller (prom-client). Each component owns its
 * own registry, so two of them in one process (tests, or `kcr agent` beside a controller) do not
 * collide, and /metrics shows only its own series plus the process's.
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

const MiB = 1024 * 1024;

export class Metrics {
  readonly registry = new Registry();
  readonly checkpointDuration = new Histogram({
    name: 'kcr_checkpoint_duration_seconds',
    help: 'Time from asking the kubelet to checkpoint a container until its archive is in the store.',
    buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800],
    registers: [this.registry],
  });
  readonly checkpointBytes = new Histogram({
    name: 'kcr_checkpoint_bytes',
    help: 'Size of each checkpoint archive (plaintext).',
    buckets: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536].map((m) => m * MiB),
    registers: [this.registry],
  });
  readonly restoreDuration = new Histogram({
    name: 'kcr_restore_duration_seconds',
    help: 'Time from a Restore being picked up until its Pod runs (or the restore fails).',
    buckets: [1, 5, 10, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });
  readonly uploadBytes = new Counter({
    name: 'kcr_upload_bytes_total',
    help: 'Bytes written to backup stores (ciphertext when encrypted).',
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'kcr_errors_total',
    help: 'Failures by reason (the KcrError code, e.g. remote, network, timeout, auth, integrity).',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly scheduleLag = new Histogram({
    name: 'kcr_schedule_lag_seconds',
    help: 'How late a scheduled run started, after the time its cron expression named.',
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  readonly podCheckpointsPruned = new Counter({
    name: 'kcr_pod_checkpoints_pruned_total',
    help: 'PodCheckpoints removed by retention, by the limit that removed them (keep-last, max-age, max-size, failed).',
    labelNames: ['limit'],
    registers: [this.registry],
  });
  readonly podCheckpointDataRemoved = new Counter({
    name: 'kcr_pod_checkpoint_data_removed_total',
    help: 'PodCheckpoint data directories a node agent removed: for a deleted PodCheckpoint (finalizer) or with none left (orphan).',
    labelNames: ['cause'],
    registers: [this.registry],
  });
  readonly podCheckpointDataRemovedBytes = new Counter({
    name: 'kcr_pod_checkpoint_data_removed_bytes_total',
    help: 'Bytes of PodCheckpoint data a node agent removed from its node.',
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'kcr_' });
  }

  /** Counts one failure under its reason (a KcrError's code, else `internal`). */
  countError(err: unknown): void {
    const code =
      typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
    this.errors.inc({ reason: /^[a-z-]+$/.test(code) ? code : 'internal' });
  }
}
