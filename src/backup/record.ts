/**
 * The backup record: what a backup is, stored in the store beside its data so that a store alone
 * is enough to list, verify and restore every backup in it (the catalog is only an index).
 *
 * Records of one container form a hash chain: each holds `previousHash`, the previous record's
 * `hash`. The hash covers every fact of the record except the ones that may change after the fact
 * (`pinned`) and the Pod object itself, which it covers by digest, so that a tombstone (the record
 * of a pruned backup, without data or Pod object) still proves its place in the chain.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { KcrError } from '../errors.js';

export const RECORD_API_VERSION = 'kcr.dev/v1';

/** `<UTC time, compact>-<8 hex>`: sorts by time, unique without coordination, safe in paths and tags. */
export const BACKUP_ID_PATTERN = /^\d{8}t\d{6}z-[0-9a-f]{8}$/;

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 in hex');

const sizedDigest = z.object({ size: z.number().int().nonnegative(), sha256: sha256Hex }).strict();

export const backupSourceSchema = z
  .object({
    namespace: z.string().optional(),
    pod: z.string().optional(),
    container: z.string(),
    node: z.string().optional(),
    image: z.string().optional(),
    imageId: z.string().optional(),
    engine: z.enum(['cri-o', 'containerd', 'podman']),
    checkpointedAt: z.string().optional(),
  })
  .strict();
export type BackupSource = z.infer<typeof backupSourceSchema>;

const recordBody = {
  apiVersion: z.literal(RECORD_API_VERSION),
  id: z.string().regex(BACKUP_ID_PATTERN, 'a backup id such as 20261206t022700z-1a2b3c4d'),
  createdAt: z.iso.datetime(),
  source: backupSourceSchema,
  labels: z.record(z.string(), z.string()),
  /** The archive as it was given (file name, plaintext size and sha256). */
  archive: sizedDigest.extend({ name: z.string() }).strict(),
  /** The bytes in the store: the archive itself, or its ciphertext when encrypted. */
  data: sizedDigest,
  encryption: z
    .object({ format: z.enum(['age', 'ocicrypt']), recipients: z.array(z.string()).min(1) })
    .strict()
    .optional(),
  chain: z.object({ key: z.string(), previousHash: sha256Hex.nullable() }).strict(),
  hash: sha256Hex,
  pinned: z.boolean(),
};

export const backupRecordSchema = z
  .object({
    ...recordBody,
    kind: z.literal('Backup'),
    /** The Pod object as the API server returned it, which restore needs to rebuild the Pod. */
    podObject: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type BackupRecord = z.infer<typeof backupRecordSchema>;

/** What is left of a pruned backup: its record without the Pod object, and why it went. */
export const tombstoneSchema = z
  .object({
    ...recordBody,
    kind: z.literal('Tombstone'),
    podObjectSha256: sha256Hex.nullable(),
    removedAt: z.iso.datetime(),
    reason: z.string(),
  })
  .strict();
export type Tombstone = z.infer<typeof tombstoneSchema>;

export const storeEntrySchema = z.discriminatedUnion('kind', [backupRecordSchema, tombstoneSchema]);
export type StoreEntry = z.infer<typeof storeEntrySchema>;

export function newBackupId(now: Date = new Date()): string {
  const time = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '').toLowerCase();
  return `${time}-${randomBytes(4).toString('hex')}`;
}

/** Backups of the same container (by namespace, pod and container name) chain together. */
export function chainKey(source: BackupSource): string {
  return `${source.namespace ?? ''}/${source.pod ?? ''}/${source.container}`;
}

/** JSON with object keys sorted at every level: the same facts always hash the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function podObjectDigest(podObject: Record<string, unknown> | undefined): string | null {
  return podObject === undefined ? null : sha256(canonicalJson(podObject));
}

/** The hash a record (or the tombstone it became) must carry: covers everything sealed. */
export function computeRecordHash(entry: StoreEntry | Omit<BackupRecord, 'hash'>): string {
  const podDigest =
    'kind' in entry && entry.kind === 'Tombstone'
      ? entry.podObjectSha256
      : podObjectDigest((entry as BackupRecord).podObject);
  const sealed = {
    apiVersion: entry.apiVersion,
    id: entry.id,
    createdAt: entry.createdAt,
    source: entry.source,
    labels: entry.labels,
    archive: entry.archive,
    data: entry.data,
    encryption: entry.encryption,
    chain: entry.chain,
    podObjectSha256: podDigest,
  };
  return sha256(canonicalJson(sealed));
}

/** A record whose hash is computed from its facts. */
export function sealRecord(draft: Omit<BackupRecord, 'hash'>): BackupRecord {
  return { ...draft, hash: computeRecordHash(draft) };
}

export function toTombstone(record: BackupRecord, reason: string, now: Date = new Date()): Tombstone {
  const { podObject, kind: _kind, ...rest } = record;
  return {
    ...rest,
    kind: 'Tombstone',
    podObjectSha256: podObjectDigest(podObject),
    removedAt: now.toISOString(),
    reason,
  };
}

/** Parses a record read from a store; `where` names it in the error (a key or path). */
export function parseStoreEntry(text: string, where: string): StoreEntry {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new KcrError('invalid-input', `${where}: not a backup record: ${(err as Error).message}`, {
      hint: 'the store holds a damaged record; remove it, or restore it from a copy of the store',
      cause: err,
    });
  }
  const parsed = storeEntrySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new KcrError(
      'invalid-input',
      `${where}: not a backup record: ${issue.path.join('.') || '(top)'}: ${issue.message}`,
      {
        hint: 'the store holds a damaged or foreign record; remove it, or restore it from a copy of the store',
      },
    );
  }
  return parsed.data;
}

export function serializeEntry(entry: StoreEntry): string {
  return JSON.stringify(entry, null, 2) + '\n';
}
