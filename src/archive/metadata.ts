/**
 * The JSON metadata files beside the CRIU images: config.dump, spec.dump, bind.mounts,
 * deleted.files, network.status, and containerd's status and status.dump. Schemas keep the fields kcr uses and
 * pass the rest through, because Podman writes its whole libpod config into config.dump.
 */
import { z } from 'zod';
import { parseJsonText, validate } from '../util/validate.js';
import type { CheckpointArchive } from './archive.js';

export const configDumpSchema = z
  .object({
    id: z.string().optional(),
    name: z.string().optional(),
    rootfsImage: z.string().optional(),
    rootfsImageRef: z.string().optional(),
    rootfsImageName: z.string().optional(),
    // Podman's names for the same facts.
    rootfsImageID: z.string().optional(),
    RawImageName: z.string().optional(),
    runtime: z.string().optional(),
    createdTime: z.string().optional(),
    checkpointedTime: z.string().optional(),
    restoredTime: z.string().optional(),
    restored: z.boolean().optional(),
  })
  .passthrough();
export type ConfigDump = z.infer<typeof configDumpSchema>;

const mountSchema = z
  .object({
    destination: z.string(),
    type: z.string().optional(),
    source: z.string().optional(),
    options: z.array(z.string()).optional(),
  })
  .passthrough();
export type SpecMount = z.infer<typeof mountSchema>;

export const specDumpSchema = z
  .object({
    ociVersion: z.string().optional(),
    hostname: z.string().optional(),
    process: z
      .object({
        args: z.array(z.string()).optional(),
        env: z.array(z.string()).optional(),
        cwd: z.string().optional(),
        user: z.object({ uid: z.number().optional(), gid: z.number().optional() }).passthrough().optional(),
        terminal: z.boolean().optional(),
      })
      .passthrough()
      .optional(),
    root: z
      .object({ path: z.string().optional(), readonly: z.boolean().optional() })
      .passthrough()
      .optional(),
    mounts: z.array(mountSchema).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    linux: z.object({}).passthrough().optional(),
  })
  .passthrough();
export type SpecDump = z.infer<typeof specDumpSchema>;

export const bindMountsSchema = z.array(
  z
    .object({
      source: z.string(),
      destination: z.string(),
      file_type: z.string().optional(),
      permissions: z.number().optional(),
    })
    .passthrough(),
);
export type BindMount = z.infer<typeof bindMountsSchema>[number];

export const deletedFilesSchema = z.array(z.string());

export const networkStatusSchema = z.record(
  z.string(),
  z
    .object({
      interfaces: z
        .record(
          z.string(),
          z
            .object({
              subnets: z
                .array(z.object({ ipnet: z.string(), gateway: z.string().optional() }).passthrough())
                .optional(),
              mac_address: z.string().optional(),
            })
            .passthrough(),
        )
        .optional(),
    })
    .passthrough(),
);
export type NetworkStatus = z.infer<typeof networkStatusSchema>;

/**
 * containerd's own `status` member (its CRI plugin's container status store). Go's int64 Unix
 * times in nanoseconds, 0 for "not yet": a real containerd 2.3 writes `"CreatedAt":1796173433335596349`.
 * Those exceed 2^53, so they arrive here rounded to about 256 ns; kcr takes the exact times from
 * config.dump and uses these only where config.dump has none.
 */
export const containerdStatusSchema = z
  .object({
    Pid: z.number().optional(),
    CreatedAt: z.number().optional(),
    StartedAt: z.number().optional(),
    FinishedAt: z.number().optional(),
    ExitCode: z.number().optional(),
    Reason: z.string().optional(),
    Restore: z.boolean().optional(),
  })
  .passthrough();
export type ContainerdStatus = z.infer<typeof containerdStatusSchema>;

/**
 * containerd's `status.dump`: the CRI ContainerStatus message as JSON (protobuf field names).
 * containerd's restore reads it (a CRI-O archive has none, so containerd refuses one), and it is
 * the only member that holds the image ID: config.dump's `rootfsImageRef` is a repo digest there.
 */
export const criStatusDumpSchema = z
  .object({
    id: z.string().optional(),
    metadata: z
      .object({ name: z.string().optional(), attempt: z.number().optional() })
      .passthrough()
      .optional(),
    state: z.number().optional(),
    created_at: z.number().optional(),
    started_at: z.number().optional(),
    image: z.object({ image: z.string().optional() }).passthrough().optional(),
    image_ref: z.string().optional(),
    image_id: z.string().optional(),
    log_path: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  })
  .passthrough();
export type CriStatusDump = z.infer<typeof criStatusDumpSchema>;

/** Reads and validates a JSON member; errors name the member and field, e.g. `spec.dump: annotations must be an object`. */
export async function readJsonMember<S extends z.ZodType>(
  archive: CheckpointArchive,
  name: string,
  schema: S,
): Promise<z.output<S>> {
  const text = await archive.read(name);
  const value = parseJsonText(text, {
    what: name,
    hint: `${archive.path} holds a damaged ${name}; the checkpoint cannot be trusted`,
  });
  return validate(schema, value, { what: name, hint: `${archive.path} holds an unexpected ${name}` });
}

/** Same as readJsonMember, but undefined when the (optional) member is absent. */
export async function readOptionalJson<S extends z.ZodType>(
  archive: CheckpointArchive,
  name: string,
  schema: S,
): Promise<z.output<S> | undefined> {
  return archive.has(name) ? readJsonMember(archive, name, schema) : undefined;
}
