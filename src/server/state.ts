/** What the handlers share: the roots, the open checkpoints, the running operations, the log. */
import type { KubeconfigOptions } from '../kube/index.js';
import type { CheckpointListItem } from './api-types.js';
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
}

export class ServerState {
  readonly roots: Root[];
  readonly uploadsDir: string;
  readonly uploadsKept: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly kube: KubeconfigOptions;
  readonly log: (line: string) => void;
  readonly open = new OpenCheckpoints();
  readonly operations = new Operations();

  constructor(o: StateOptions) {
    this.roots = o.roots;
    this.uploadsDir = o.uploadsDir;
    this.uploadsKept = o.uploadsKept;
    this.env = o.env;
    this.kube = o.kube;
    this.log = o.log;
  }

  list(): Promise<CheckpointListItem[]> {
    return listCheckpoints(this.roots);
  }

  /** The archive an id names (confined to the roots), opened or taken from the cache. */
  async withCheckpoint<T>(id: string, fn: (opened: OpenedCheckpoint) => Promise<T>): Promise<T> {
    const { path } = await resolveId(this.roots, id);
    return this.open.use(path, fn);
  }

  async close(): Promise<void> {
    this.operations.cancelAll();
    await this.open.closeAll();
  }
}
