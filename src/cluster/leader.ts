/**
 * Leader election through a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it
 * (client-node has none): the holder renews `renewTime` every `renewMs`; a candidate takes the
 * Lease over once it has seen the same record unchanged for `leaseDurationSeconds` by its own
 * clock (never comparing another machine's timestamps with its own), and every write carries
 * the resourceVersion read, so two candidates cannot both win (one gets a 409).
 */
import { ApiException, CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';

export interface LeaderOptions {
  kc: KubeConfig;
  namespace: string;
  name: string;
  /** This candidate's name (the Pod name). */
  identity: string;
  leaseDurationSeconds?: number;
  renewMs?: number;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
  onError?: (err: unknown) => void;
  now?: () => Date;
}

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private observed: { record: string; at: number } | undefined;
  isLeader = false;

  constructor(private readonly o: LeaderOptions) {
    this.api = o.kc.makeApiClient(CoordinationV1Api);
  }

  private get durationSeconds(): number {
    return this.o.leaseDurationSeconds ?? 15;
  }

  private now(): Date {
    return this.o.now?.() ?? new Date();
  }

  start(): void {
    this.stopped = false;
    void this.loop();
  }

  private async loop(): Promise<void> {
    if (this.stopped) return;
    let leading = false;
    try {
      leading = await this.tryAcquireOrRenew();
    } catch (err) {
      this.o.onError?.(err);
    }
    this.setLeading(leading);
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.loop(), this.o.renewMs ?? 5000);
    this.timer.unref();
  }

  private setLeading(leading: boolean): void {
    if (leading === this.isLeader) return;
    this.isLeader = leading;
    if (leading) this.o.onStartedLeading?.();
    else this.o.onStoppedLeading?.();
  }

  /** One round: true when this candidate holds the Lease afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.now();
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
    } catch (err) {
      if (!(err instanceof ApiException) || err.code !== 404) throw err;
      return this.write(() =>
        this.api.createNamespacedLease({
          namespace: this.o.namespace,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.o.name, namespace: this.o.namespace },
            spec: this.spec(now, 0, now),
          },
        }),
      );
    }
    const spec = lease.spec ?? {};
    const record = JSON.stringify([
      spec.holderIdentity,
      spec.renewTime,
      spec.acquireTime,
      spec.leaseTransitions,
    ]);
    if (this.observed?.record !== record) this.observed = { record, at: now.getTime() };
    const mine = spec.holderIdentity === this.o.identity;
    const expired =
      !spec.holderIdentity ||
      now.getTime() - this.observed.at > (spec.leaseDurationSeconds ?? this.durationSeconds) * 1000;
    if (!mine && !expired) return false;
    const transitions = (spec.leaseTransitions ?? 0) + (mine ? 0 : 1);
    const acquired = mine && spec.acquireTime ? new Date(spec.acquireTime) : now;
    return this.write(() =>
      this.api.replaceNamespacedLease({
        name: this.o.name,
        namespace: this.o.namespace,
        body: { ...lease, spec: this.spec(now, transitions, acquired) },
      }),
    );
  }

  private spec(now: Date, transitions: number, acquired: Date): V1Lease['spec'] {
    return {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: this.durationSeconds,
      acquireTime: acquired,
      renewTime: now,
      leaseTransitions: transitions,
    };
  }

  /** A create or update of the Lease; a 409 means another candidate wrote first. */
  private async write(f: () => Promise<V1Lease>): Promise<boolean> {
    try {
      const lease = await f();
      const spec = lease.spec ?? {};
      this.observed = {
        record: JSON.stringify([
          spec.holderIdentity,
          spec.renewTime,
          spec.acquireTime,
          spec.leaseTransitions,
        ]),
        at: this.now().getTime(),
      };
      return true;
    } catch (err) {
      if (err instanceof ApiException && err.code === 409) return false;
      throw err;
    }
  }

  /** Stops campaigning; a leader gives the Lease up at once (holder cleared), so a standby takes over. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.isLeader) return;
    try {
      const lease = await this.api.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
      if (lease.spec?.holderIdentity === this.o.identity) {
        await this.api.replaceNamespacedLease({
          name: this.o.name,
          namespace: this.o.namespace,
          body: { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 } },
        });
      }
    } catch (err) {
      this.o.onError?.(err);
    }
    this.setLeading(false);
  }
}
