/**
 * The container log saved in the archive. CRI-O and Podman (k8s-file) write the CRI format:
 * `<RFC3339Nano> <stdout|stderr> <F|P> <text>`, where P marks a partial line continued by the next.
 */
import { LOG_MEMBERS } from '../archive/engine.js';
import type { Checkpoint } from './checkpoint.js';

export interface LogLine {
  time?: string;
  stream?: string;
  text: string;
}

export interface ContainerLog {
  member?: string;
  lines: LogLine[];
  /** Earlier lines exist that were left out of the tail. */
  truncated: boolean;
}

const CRI_LINE = /^(\S+) (stdout|stderr) ([FP]) ?(.*)$/;

export function parseCriLog(text: string): LogLine[] {
  const lines: LogLine[] = [];
  let partial: LogLine | undefined;
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    const m = CRI_LINE.exec(raw);
    if (!m) {
      lines.push({ text: raw });
      continue;
    }
    const [, time, stream, tag, body] = m;
    if (partial && partial.stream === stream) {
      partial.text += body;
    } else {
      partial = { time: time!, stream: stream!, text: body! };
    }
    if (tag === 'F') {
      lines.push(partial);
      partial = undefined;
    }
  }
  if (partial) lines.push(partial);
  return lines;
}

/** The last `tail` lines of the log (all with tail < 0). Only the end of a large log is read. */
export async function containerLog(cp: Checkpoint, tail = 50): Promise<ContainerLog> {
  const candidates = [LOG_MEMBERS[cp.metadata.info.engine], ...Object.values(LOG_MEMBERS)];
  const member = candidates.find((name) => cp.archive.has(name));
  if (!member) return { lines: [], truncated: false };
  const size = cp.archive.require(member).size;
  const window = tail < 0 ? size : Math.min(size, Math.max(64 * 1024, tail * 1024));
  const text = (await cp.archive.readRange(member, size - window, window)).toString('utf8');
  // A window that starts mid-file begins with a cut line: drop it.
  const body = window < size ? text.slice(text.indexOf('\n') + 1) : text;
  const lines = parseCriLog(body);
  const keep = tail < 0 ? lines : lines.slice(-tail);
  return { member, lines: keep, truncated: window < size || keep.length < lines.length };
}
