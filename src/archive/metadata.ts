/**
 * The JSON metadata files beside the CRIU images: config.dump, spec.dump, bind.mounts,
 * deleted.files, network.status and containerd's status. Schemas keep the fields kcr uses and
 * pass the rest through, because Podman writes its whole libpod config into config.dump.
 */
import { z } from 'zod';
import { KcrError } from '../errors.js';
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

/** containerd writes its own `status` member (CreatedAt, StartedAt, Name, ...). */
export const containerdStatusSchema = z
  .object({ CreatedAt: z.string().optional(), StartedAt: z.string().optional(), Name: z.string().optional() })
  .passthrough();

function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid content';
  // Keys come from the archive too: a short, printable path only.
  const path = issue.path.join('.').replace(/[^\w.[\]-]/g, '?');
  const where = path ? (path.length > 60 ? `${path.slice(0, 60)}…` : path) + ': ' : '';
  return `${where}${issue.message}`;
}

/**
 * V8's JSON errors quote the text around the fault (`Unexpected token 'h', "hunter2"… is not valid
 * JSON`), and the text is the archive's, secrets included: the quotes are dropped, the position kept.
 */
export function jsonErrorDetail(err: unknown): string {
  if (!(err instanceof Error)) return 'invalid JSON';
  if (err instanceof RangeError) return 'JSON nested too deeply';
  const text = err.message
    .replace(/"(?:[^"\\]|\\.)*"(\.\.\.)?/g, '…')
    .replace(/'[^']*'/g, '…')
    .toLowerCase();
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

/** Reads and validates a JSON member; errors name the member, e.g. `config.dump: unexpected end of JSON input`. */
export async function readJsonMember<T>(
  archive: CheckpointArchive,
  name: string,
  schema: z.ZodType<T>,
): Promise<T> {
  const text = (await archive.read(name)).toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new KcrError('invalid-input', `${name}: ${jsonErrorDetail(err)}`, {
      hint: `${archive.path} holds a damaged ${name}; the checkpoint cannot be trusted`,
    });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new KcrError('invalid-input', `${name}: ${describeZodError(parsed.error)}`, {
      hint: `${archive.path} holds an unexpected ${name}`,
    });
  }
  return parsed.data;
}

/** Same as readJsonMember, but undefined when the (optional) member is absent. */
export async function readOptionalJson<T>(
  archive: CheckpointArchive,
  name: string,
  schema: z.ZodType<T>,
): Promise<T | undefined> {
  return archive.has(name) ? readJsonMember(archive, name, schema) : undefined;
}
