/**
 * The CRIU images and process memory of a checkpoint, without its engine metadata: what memory
 * views need (mem, secrets' memory scan). Images are decoded on first use and cached, so a command
 * pays only for the images it reads; opening reads the tar index alone (no JSON, no validation
 * schemas), which keeps `kcr mem search` quick to start. `Checkpoint` (checkpoint.ts) adds the
 * metadata and the rootfs.
 */
import { CheckpointArchive, type OpenOptions } from '../archive/archive.js';
import { KcrError } from '../errors.js';
import { decodeImage, decodeProjected, entriesAs, type DecodedImage } from '../criu/image.js';
import { ProcessMemory } from '../criu/memory.js';
import { buildPagemap, derivePageSize, withPageSize } from '../criu/pagemap.js';
import { decodePagemap } from '../criu/pagemap-decode.js';
import type { Decoded, FieldMap, MessageSpec } from '../criu/schema.js';

/** Where the CRIU images live in the archive: `checkpoint/`, or `` for a bare image directory. */
export function imageDirOf(archive: CheckpointArchive): string {
  return archive.has('checkpoint/inventory.img') || !archive.has('inventory.img') ? 'checkpoint/' : '';
}

export class CheckpointImages {
  private readonly images = new Map<string, Promise<DecodedImage | undefined>>();
  private readonly memories = new Map<number, Promise<ProcessMemory | undefined>>();

  protected constructor(
    readonly archive: CheckpointArchive,
    /** Where the CRIU images live in the archive: `checkpoint/`, or `` for a bare image directory. */
    readonly imageDir: string,
  ) {}

  /** Opens the archive for its images and memory only (see the file comment). */
  static async openImages(path: string, options: OpenOptions = {}): Promise<CheckpointImages> {
    const archive = await CheckpointArchive.open(path, options);
    return new CheckpointImages(archive, imageDirOf(archive));
  }

  get path(): string {
    return this.archive.path;
  }

  /** Member name of a CRIU image, e.g. `core-1.img` → `checkpoint/core-1.img`. */
  imageMember(file: string): string {
    return this.imageDir + file;
  }

  hasImage(file: string): boolean {
    return this.archive.has(this.imageMember(file));
  }

  /** Names of the CRIU image files present (without the directory). */
  imageFiles(): string[] {
    return this.archive
      .members()
      .filter(
        (m) =>
          m.type === 'file' &&
          m.name.startsWith(this.imageDir) &&
          !m.name.slice(this.imageDir.length).includes('/'),
      )
      .map((m) => m.name.slice(this.imageDir.length));
  }

  /** The decoded image, or undefined when the file is absent (CRIU treats missing images as empty). */
  image(file: string): Promise<DecodedImage | undefined> {
    let cached = this.images.get(file);
    if (!cached) {
      const member = this.imageMember(file);
      // Absent images are the common case for a crafted 100k-task pstree.img: no cache entry for them.
      if (!this.archive.has(member)) return Promise.resolve(undefined);
      cached = this.archive.read(member).then((bytes) => decodeImage(bytes, member));
      this.images.set(file, cached);
    }
    return cached;
  }

  /** Entries of an image as one message type; [] when the image is absent. */
  async entries<F extends FieldMap>(file: string, spec: MessageSpec<F>): Promise<Decoded<F>[]> {
    const image = await this.image(file);
    return image ? entriesAs(image, spec, this.imageMember(file)) : [];
  }

  /**
   * Entries of an image with only `projection`'s fields decoded (see decodeProjected); [] when the
   * image is absent. Not cached: an image read whole later is decoded whole.
   */
  async projectedEntries<F extends FieldMap, P extends FieldMap>(
    file: string,
    spec: MessageSpec<F>,
    projection: MessageSpec<P>,
  ): Promise<Decoded<P>[]> {
    const member = this.imageMember(file);
    if (!this.archive.has(member)) return [];
    return decodeProjected(await this.archive.read(member), member, spec, projection);
  }

  /** Entries of an image that must exist (pstree.img, inventory.img). */
  async requiredEntries<F extends FieldMap>(file: string, spec: MessageSpec<F>): Promise<Decoded<F>[]> {
    if (!this.hasImage(file)) {
      throw new KcrError('invalid-input', `${this.path}: has no ${this.imageMember(file)}`, {
        hint: 'the CRIU dump is incomplete (the checkpoint failed or the archive was cut); take a new checkpoint',
      });
    }
    return this.entries(file, spec);
  }

  /** The memory reader of a process, or undefined when it has no pagemap (zombies, dead tasks). */
  memory(pid: number): Promise<ProcessMemory | undefined> {
    let cached = this.memories.get(pid);
    if (!cached) {
      cached = this.loadMemory(pid);
      this.memories.set(pid, cached);
    }
    return cached;
  }

  private loadMemory(pid: number): Promise<ProcessMemory | undefined> {
    return this.memoryFromPagemap(`pagemap-${pid}.img`, pid);
  }

  /**
   * A memory reader over any pagemap image (a task's, or a shared-memory object's
   * pagemap-shmem-N.img), or undefined when the image is absent. `owner` names it in errors.
   */
  async memoryFromPagemap(file: string, owner: number): Promise<ProcessMemory | undefined> {
    const member = this.imageMember(file);
    if (!this.archive.has(member)) return undefined;
    const { head, entries } = decodePagemap(await this.archive.read(member), member);
    const pagemap = buildPagemap(head, entries, member);
    const pagesMember = this.imageMember(`pages-${pagemap.pagesId}.img`);
    const pages = this.archive.has(pagesMember) ? this.archive.randomAccess(pagesMember) : undefined;
    const pageSize = derivePageSize(pages?.size ?? 0, pagemap.presentPages);
    return new ProcessMemory(owner, withPageSize(pagemap, pageSize), pageSize, pages);
  }

  async close(): Promise<void> {
    await this.archive.close();
  }
}

/** Opens a checkpoint's images and memory, runs `fn`, and always closes it. */
export async function withCheckpointImages<T>(
  path: string,
  fn: (checkpoint: CheckpointImages) => Promise<T>,
  options: OpenOptions = {},
): Promise<T> {
  const checkpoint = await CheckpointImages.openImages(path, options);
  try {
    return await fn(checkpoint);
  } finally {
    await checkpoint.close();
  }
}
