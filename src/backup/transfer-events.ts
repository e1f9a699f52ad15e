/**
 * A store's bytes moving, as ops' `transfer` events: the library reports progress in ops' one
 * vocabulary, so the CLI draws the bars and the server forwards them as they are. At most one
 * event per MiB, as ops sends its own, plus the last one.
 */
import type { CheckpointTarget, OpEvent } from '../ops/index.js';
import type { TransferProgress } from '../oci/index.js';

const STEP = 1 << 20;

export function transferEvents(
  onEvent: ((event: OpEvent) => void) | undefined,
  phase: TransferProgress['phase'],
  label: string,
  target?: CheckpointTarget,
): ((transferred: number, total: number) => void) | undefined {
  if (!onEvent) return undefined;
  let sent = -STEP;
  return (transferred, total) => {
    const done = transferred >= total;
    if (!done && transferred - sent < STEP) return;
    sent = transferred;
    const progress: TransferProgress = { phase, label, transferred, total, done };
    onEvent(target ? { type: 'transfer', target, progress } : { type: 'transfer', progress });
  };
}
