/**
 * Opened checkpoints, kept between requests: a page asks for the summary, then the tree, then
 * memory, and indexing the tar (and decoding the images and pagemaps) once per archive instead of
 * once per request is what makes a big archive feel instant. A few stay open (least recently used
 * goes first), each closed only when no request is using it; a file replaced on disk (other size
 * or mtime) is opened afresh.
 */
import { stat } from 'node:fs/promises';
import { Checkpoint, loadMemoryContext, type MemoryContext } from '../forensics/index.js';
import { fileError } from '../errors.js';

interface Entry {
  key: string;
  checkpoint: Promise<Checkpoint>;
  memory?: Promise<MemoryContext>;
  users: number;
  lastUsed: number;
  evicted: boolean;
}

export interface OpenedCheckpoint {
  cp: Checkpoint;
  /** The memory views of every process, loaded on first use and kept with the checkpoint. */
  memory(): Promise<MemoryContext>;
}

export class OpenCheckpoints {
  private readonly entries = new Map<string, Entry>();
  private clock = 0;

  constructor(private readonly capacity = 6) {}

  /** Runs `fn` with the checkpoint at `path` open; it stays open for later requests. */
  async use<T>(path: string, fn: (opened: OpenedCheckpoint) => Promise<T>): Promise<T> {
    const st = await stat(path).catch((err: unknown) => {
      throw fileError(path, err);
    });
    const key = `${st.size}:${st.mtimeMs}`;
    let entry = this.entries.get(path);
    if (entry && entry.key !== key) this.evict(path, entry);
    entry = this.entries.get(path);
    if (!entry) {
      entry = { key, checkpoint: Checkpoint.open(path), users: 0, lastUsed: 0, evicted: false };
      this.entries.set(path, entry);
      // A file that cannot be opened is not kept: the next request tries again.
      entry.checkpoint.catch(() => {
        if (this.entries.get(path) === entry) this.entries.delete(path);
      });
    }
    const current = entry;
    current.users++;
    current.lastUsed = ++this.clock;
    try {
      const cp = await current.checkpoint;
      return await fn({
        cp,
        memory: () => {
          if (!current.memory) {
            const loading = loadMemoryContext(cp);
            current.memory = loading;
            // Like the checkpoint, a failed load is retried on the next request.
            loading.catch(() => {
              if (current.memory === loading) current.memory = undefined;
            });
          }
          return current.memory;
        },
      });
    } finally {
      current.users--;
      if (current.evicted) this.closeIfIdle(current);
      this.trim();
    }
  }

  private evict(path: string, entry: Entry): void {
    this.entries.delete(path);
    entry.evicted = true;
    this.closeIfIdle(entry);
  }

  private closeIfIdle(entry: Entry): void {
    if (entry.users > 0) return;
    entry.checkpoint.then(
      (cp) => cp.archive.close(),
      () => undefined,
    );
  }

  private trim(): void {
    while (this.entries.size > this.capacity) {
      const idle = [...this.entries].filter(([, e]) => e.users === 0);
      if (idle.length === 0) return;
      const [path, oldest] = idle.reduce((a, b) => (a[1].lastUsed <= b[1].lastUsed ? a : b));
      this.evict(path, oldest);
    }
  }

  async closeAll(): Promise<void> {
    const all = [...this.entries];
    this.entries.clear();
    await Promise.all(
      all.map(([, e]) =>
        e.checkpoint.then(
          (cp) => cp.archive.close(),
          () => undefined,
        ),
      ),
    );
  }
}
