/**
 * Flags the in-cluster components share: the default store and its connection settings, the
 * metrics port, and running until SIGTERM (the kubelet's way of stopping a Pod).
 */
import type { Command } from 'commander';
import type { StoreOptions } from '../backup/index.js';
import type { CliContext } from './context.js';
import { integer } from './options.js';

export interface ClusterFlags {
  store?: string;
  storeEndpoint?: string;
  storePathStyle?: boolean;
  storeRegion?: string;
  storeInsecure?: boolean;
  metricsPort: number;
}

export function addClusterFlags(cmd: Command): Command {
  return cmd
    .option('--store <url>', 'the default store (file://, s3://bucket/prefix, oci://registry/repo)')
    .option('--store-endpoint <url>', 'S3: an endpoint other than AWS (MinIO, Ceph)')
    .option('--store-path-style', 'S3: path-style addressing')
    .option('--store-region <region>', 'S3: the region')
    .option('--store-insecure', 'OCI: plain HTTP or unverified TLS for the store registry')
    .option(
      '--metrics-port <port>',
      'port of /metrics, /healthz and /readyz (0: none)',
      integer('--metrics-port'),
      9090,
    );
}

export function storeOptions(f: ClusterFlags): StoreOptions {
  return {
    ...(f.storeEndpoint ? { endpoint: f.storeEndpoint } : {}),
    ...(f.storePathStyle ? { pathStyle: true } : {}),
    ...(f.storeRegion ? { region: f.storeRegion } : {}),
    ...(f.storeInsecure ? { insecure: true } : {}),
  };
}

/** Resolves when the CLI's signal aborts (SIGTERM, SIGINT). */
export function untilStopped(ctx: CliContext): Promise<void> {
  return new Promise((resolve) => {
    if (ctx.signal.aborted) return resolve();
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** Log lines on stderr with a UTC timestamp, as a container's log shows them. */
export function logger(ctx: CliContext): (line: string) => void {
  return (line) => {
    if (!ctx.quiet) ctx.io.stderr.write(`${new Date().toISOString()} ${line}\n`);
  };
}
