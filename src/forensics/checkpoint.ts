/**
 * An opened checkpoint for analysis: its CRIU images and memory (checkpoint-images.ts), its
 * engine metadata, and its rootfs changes. Views are computed from the `DumpImages` snapshot
 * (see images.ts).
 */
import { CheckpointArchive, type OpenOptions } from '../archive/archive.js';
import { readMetadata, type ArchiveMetadata } from '../archive/engine.js';
import { NestedTar } from '../archive/nested-tar.js';
import { CheckpointImages, imageDirOf } from './checkpoint-images.js';

/** The container's writable layer, as a tar member of the checkpoint. */
export const ROOTFS_DIFF = 'rootfs-diff.tar';

export class Checkpoint extends CheckpointImages {
  private rootfsTar: Promise<NestedTar | undefined> | undefined;

  private constructor(
    archive: CheckpointArchive,
    readonly metadata: ArchiveMetadata,
    imageDir: string,
  ) {
    super(archive, imageDir);
  }

  static async open(path: string, options: OpenOptions = {}): Promise<Checkpoint> {
    const archive = await CheckpointArchive.open(path, options);
    try {
      const metadata = await readMetadata(archive);
      return new Checkpoint(archive, metadata, imageDirOf(archive));
    } catch (err) {
      await archive.close();
      throw err;
    }
  }

  /**
   * rootfs-diff.tar indexed once (decompressed once when the runtime compressed it, as containerd
   * does), or undefined when the container wrote nothing outside its volumes. Closed with the checkpoint.
   */
  rootfsDiff(): Promise<NestedTar | undefined> {
    this.rootfsTar ??= this.archive.has(ROOTFS_DIFF)
      ? NestedTar.open(this.archive, ROOTFS_DIFF)
      : Promise.resolve(undefined);
    return this.rootfsTar;
  }

  override async close(): Promise<void> {
    const rootfs = await this.rootfsTar?.catch(() => undefined);
    await rootfs?.close();
    await super.close();
  }
}

/** Opens a checkpoint, runs `fn`, and always closes it (temp files of compressed input go away). */
export async function withCheckpoint<T>(
  path: string,
  fn: (checkpoint: Checkpoint) => Promise<T>,
  options: OpenOptions = {},
): Promise<T> {
  const checkpoint = await Checkpoint.open(path, options);
  try {
    return await fn(checkpoint);
  } finally {
    await checkpoint.close();
  }
}
