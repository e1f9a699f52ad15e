/**
 * The dashboard's HTTP API, typed once: the server builds these shapes and the web client
 * (web/src) reads them, so tsc checks both sides against the same declarations. Only types and a
 * few constants: every import is `import type`, so the browser bundle takes nothing from Node.
 *
 * Bodies are the library's own types as JSON carries them (`Wire<T>`): bigints become decimal
 * strings (exact; the memory endpoints write addresses as `0x…` hex explicitly), Buffers become
 * base64 strings, and nothing else changes.
 */
import type {
  CheckpointDiff,
  Inspection,
  InspectView,
  MappingKind,
  SecretScan,
  ProcessMemorySummary,
} from '../forensics/index.js';
import type { OpEvent, OpError } from '../ops/index.js';

/** A value as it travels in JSON: bigint → decimal string, Buffer/Uint8Array → base64 string. */
export type Wire<T> = T extends bigint
  ? string
  : T extends Uint8Array
    ? string
    : T extends Array<infer U>
      ? Wire<U>[]
      : T extends object
        ? { [K in keyof T]: Wire<T[K]> }
        : T;

/** Every error answer: `{error: {code, message, hint?}}` with a 4xx/5xx status. */
export interface ApiError {
  error: OpError;
}

export const API_PREFIX = '/api/v1';
/** The header a mutating request carries, equal to the `kcr_csrf` cookie (double submit). */
export const CSRF_HEADER = 'x-kcr-csrf';
export const CSRF_COOKIE = 'kcr_csrf';
export const SESSION_COOKIE = 'kcr_session';

/** Where a listed checkpoint comes from. */
export type CheckpointOrigin = 'directory' | 'upload' | 'backup';

/** GET /api/v1/checkpoints */
export interface CheckpointListItem {
  /** Opaque to clients except that it names the file: `<root>/<path in the root>`. */
  id: string;
  name: string;
  origin: CheckpointOrigin;
  namespace?: string;
  pod?: string;
  container?: string;
  node?: string;
  engine?: string;
  /** RFC 3339. */
  time?: string;
  size: number;
  encrypted: boolean;
  /** The backup store's name, for backups. */
  store?: string;
  /** The archive could not be read; the fields above come from its name. */
  error?: string;
}

export interface CheckpointList {
  checkpoints: CheckpointListItem[];
  /** The configured directories and stores, for the empty state and the upload form. */
  sources: Array<{ key: string; kind: CheckpointOrigin; location: string }>;
  uploadsKept: boolean;
}

/** GET /api/v1/checkpoints/:id?views=… : `kcr inspect -o json`, masked. */
export type InspectionBody = Wire<Inspection>;
export type InspectViewName = InspectView;

/** POST /api/v1/checkpoints/:id/reveal `{pid}`: one process's environment unmasked (logged). */
export interface RevealRequest {
  pid: number;
}
export interface RevealBody {
  pid: number;
  env: Array<{ name: string; value: string }>;
}

/** GET /api/v1/checkpoints/:id/rootfs/file?path=… */
export interface RootfsFileBody {
  path: string;
  size: number;
  /** The first `limit` bytes as UTF-8 text, or absent when the file looks binary. */
  text?: string;
  truncated: boolean;
  binary: boolean;
}

/** One mapping of GET /api/v1/checkpoints/:id/memory */
export interface MappingBody {
  start: string;
  end: string;
  perms: string;
  offset: string;
  name: string;
  kind: MappingKind;
  shared: boolean;
  dumpedPages: number;
  totalPages: number;
  /** Shared memory (memfd, shared anonymous): the shmem object holding its pages. */
  shmid?: number;
}

export interface ProcessMemoryBody extends ProcessMemorySummary {
  mappings: MappingBody[];
}

export interface MemoryBody {
  processes: ProcessMemoryBody[];
}

/** GET /api/v1/checkpoints/:id/memory/:pid?address=0x…&length=N (length ≤ MAX_READ) */
export interface MemoryReadBody {
  pid: number;
  address: string;
  /** The bytes, base64; bytes not in the dump read as 0 and are listed in `missing`. */
  data: string;
  missing: Array<{ offset: number; length: number; reason: string }>;
}
export const MAX_READ = 64 * 1024;

export type SearchKind = 'string' | 'regex' | 'hex';

/**
 * GET /api/v1/checkpoints/:id/memory/search?kind=&value=&pid=&ignoreCase=1 as server-sent
 * events: `hit` (SearchHitBody) as each is found, `progress`, then `done` or `failed` (an
 * OpError, bad input included: an EventSource cannot read an error body). Closing the stream
 * cancels the search.
 */
export interface SearchHitBody {
  pid: number;
  comm: string;
  address: string;
  length: number;
  /** The matched bytes, base64. */
  match: string;
  mapping?: Pick<MappingBody, 'start' | 'end' | 'perms' | 'name' | 'kind'>;
}
export interface SearchProgressBody {
  scannedBytes: number;
  totalBytes: number;
}
export interface SearchDoneBody {
  hits: number;
  limited: boolean;
  scannedBytes: number;
}

/** GET /api/v1/checkpoints/:id/secrets */
export type SecretsBody = Wire<SecretScan>;

/** GET /api/v1/diff?a=ID&b=ID */
export type DiffBody = Wire<CheckpointDiff>;

/** GET /api/v1/restore: what restoring needs and whether it is there. */
export interface RestoreStatusBody {
  available: boolean;
  /** Present when unavailable: what is missing and how to provide it. */
  missing?: { message: string; hint: string };
  context?: string;
  server?: string;
  namespace?: string;
}

/** POST /api/v1/checkpoints/:id/restore */
export interface RestoreRequest {
  /** REGISTRY/REPOSITORY[:TAG] to push the checkpoint image to. */
  registry: string;
  namespace?: string;
  name?: string;
  node?: string;
  insecure?: boolean;
}
export interface OperationCreated {
  operation: string;
}

/**
 * GET /api/v1/operations/:op/events as server-sent events: each `event` is an ops OpEvent as is;
 * the stream ends with `done` (OperationResultBody) or `failed` (OpError). A late subscriber
 * gets the events so far first. POST /api/v1/operations/:op/cancel aborts it.
 */
export type OperationEventBody = OpEvent;
export interface OperationResultBody {
  image: string;
  node: string;
  namespace: string;
  name: string;
  running: boolean;
  warnings: string[];
}

/** POST /api/v1/uploads (body: the archive; header x-kcr-filename) */
export interface UploadBody {
  checkpoint: CheckpointListItem;
}
