/**
 * One damaged image costs one view: which CRIU images (and other members) each inspect view reads,
 * and the error entry that replaces a view that cannot be built. A view is built unless an image
 * it reads could not be read; a view that fails while being built is replaced the same way.
 */
import type { ImageProblem } from './images.js';

/** `criu` is the header's CRIU line (image version, architecture); the rest are InspectView names. */
export type ViewName =
  | 'criu'
  | 'processes'
  | 'cmdline'
  | 'env'
  | 'files'
  | 'sockets'
  | 'mounts'
  | 'rootfs'
  | 'stats'
  | 'log'
  | 'metadata';

export interface ViewError {
  view: ViewName;
  /** The image or member that could not be read (`files.img`, `core-7.img`, `stats-dump`, `rootfs-diff.tar`). */
  image?: string;
  message: string;
}

const TASK = (kind: string) => new RegExp(`^${kind}-\\d+\\.img$`);
const TREE = [/^pstree\.img$/];
/** Per-task ids come from ids-N.img, or from the core image in older dumps. */
const TASK_IDS = [...TREE, TASK('ids'), TASK('core')];
/** files.img, or the per-type images that came before it. */
const FILE_OBJECTS = [/^files\.img$/, /^(reg-files|inetsk|unixsk|pipes)\.img$/];

/** The images each view reads. Views not listed (rootfs, log, metadata) read no CRIU image. */
export const VIEW_IMAGES: Partial<Record<ViewName, RegExp[]>> = {
  // The architecture is the root task's (found through pstree.img).
  criu: [...TREE, /^inventory\.img$/, TASK('core')],
  // `exe` (mm-N.img's exe_file_id, named in files.img) is left out when those cannot be read:
  // the tree itself is too valuable to lose for one path.
  processes: [...TREE, TASK('core')],
  // Both are fields of the process entries, so they need what the tree needs.
  cmdline: [...TREE, TASK('core'), TASK('mm'), TASK('pagemap'), /^pages-\d+\.img$/],
  env: [...TREE, TASK('core'), TASK('mm'), TASK('pagemap'), /^pages-\d+\.img$/],
  files: [
    ...TASK_IDS,
    TASK('fdinfo'),
    TASK('fs'),
    TASK('mm'),
    ...FILE_OBJECTS,
    /^(remap-fpath|memfd|tty-info|pipes-data|fifo-data)\.img$/,
  ],
  sockets: [...TASK_IDS, TASK('fdinfo'), ...FILE_OBJECTS, /^tcp-stream-[0-9a-f]+\.img$/, /^sk-queues\.img$/],
  mounts: [...TASK_IDS, TASK('mountpoints')],
  stats: [/^stats-dump$/],
};

/** The first recorded problem among the images `view` reads. */
export function problemFor(view: ViewName, problems: readonly ImageProblem[]): ViewError | undefined {
  const patterns = VIEW_IMAGES[view] ?? [];
  const p = problems.find((problem) => patterns.some((re) => re.test(problem.image)));
  return p && { view, image: p.image, message: p.message };
}

/** Member names as errors quote them (`checkpoint/files.img: …`), so a thrown error can name its image. */
const MEMBER_IN_MESSAGE =
  /(?:^|[\s:/])((?:[\w.-]+\.img)|stats-dump|rootfs-diff\.tar|deleted\.files|bind\.mounts|spec\.dump|config\.dump)\b/;

export function errorFor(view: ViewName, err: unknown): ViewError {
  const message = err instanceof Error ? err.message : String(err);
  const image = MEMBER_IN_MESSAGE.exec(message)?.[1];
  return image ? { view, image, message } : { view, message };
}
