/** Progress reports for long transfers. The library only calls back; the CLI decides how to draw them. */
export type TransferPhase = 'digest' | 'compress' | 'encrypt' | 'upload' | 'download' | 'copy';

export interface TransferProgress {
  phase: TransferPhase;
  /** What moves, e.g. `layer sha256:1a2b3c4d5e6f`. */
  label: string;
  /** Bytes done so far in this phase for this item. */
  transferred: number;
  /** Total bytes when known. */
  total?: number;
  /** Set on the last report for the item. */
  done?: boolean;
  /** Why nothing moved: the registry already had the blob, or mounted it from another repository. */
  skipped?: 'exists' | 'mounted';
  /** Set when an interrupted upload goes on: the offset the registry said it had (0 when it started over). */
  resumedAt?: number;
}

export type ProgressCallback = (progress: TransferProgress) => void;

export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

/** Calls back at most every `stepBytes`, so that a 1 GiB transfer does not make a million callbacks. */
export function throttled(
  onProgress: ProgressCallback | undefined,
  base: Omit<TransferProgress, 'transferred'>,
  stepBytes = 1 << 20,
): (transferred: number, done?: boolean) => void {
  let last = -stepBytes;
  return (transferred, done) => {
    if (!onProgress) return;
    if (done || transferred - last >= stepBytes) {
      last = transferred;
      onProgress({ ...base, transferred, ...(done ? { done } : {}) });
    }
  };
}
