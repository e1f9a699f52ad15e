/** What the handlers share: the roots, the open checkpoints, the running operations, the log. */
import type { KubeconfigOptions } from '../kube/index.js';
import type { CheckpointListItem } from './api-types.js';
import { BACKUP_ROOT, type BackupSource } from './backups.js';
import { OpenCheckpoints, type OpenedCheckpoint } from './open-checkpoints.js';
import { Operations } from './operations.js';
import { listCheckpoints, resolveId, type Root } from './sources.js';

export interface StateOptions {
  roots: Root[];
  uploadsDir: string;
  uploadsKept: boolean;
  /** The environment restore reads KUBECONFIG, HOME and registry credentials from. */
  env: NodeJS.ProcessEnv;
  kube: KubeconfigOptions;
  log: (line: string) => void;
  backups?: BackupSource;
}

export class ServerState {
  readonly roots: Root[];
  readonly uploadsDir: string;
  readonly uploadsKept: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly kube: KubeconfigOptions;
  readonly log: (line: string) => void;
  readonly backups: BackupSource | undefined;
  readonly open = new OpenCheckpoints();
  readonly operations = new Operations();

  constructor(o: StateOptions) {
    this.roots = o.roots;
    this.uploadsDir = o.uploadsDir;
    this.uploadsKept = o.uploadsKept;
    this.env = o.env;
    this.kube = o.kube;
    this.log = o.log;
    this.backups = o.backups;
  }

  async list(): Promise<CheckpointListItem[]> {
    const files = await listCheckpoints(this.roots);
    const backups = this.backups?.list() ?? [];
    return [...files, ...backups].sort((a, b) => (b.time ?? '').localeCompare(a.time ?? ''));
  }

  /** The local file an id names: confined to the roots, or a backup read out of its store. */
  async resolvePath(id: string): Promise<string> {
    if (this.backups && id.startsWith(`${BACKUP_ROOT}/`))
      return this.backups.path(id.slice(BACKUP_ROOT.length + 1));
    return (await resolveId(this.roots, id)).path;
  }

  /** The archive an id names, opened or taken from the cache. */
  async withCheckpoint<T>(id: string, fn: (opened: OpenedCheckpoint) => Promise<T>): Promise<T> {
    return this.open.use(await this.resolvePath(id), fn);
  }

  async close(): Promise<void> {
    this.operations.cancelAll();
    await this.open.closeAll();
    this.backups?.close();
  }
}
