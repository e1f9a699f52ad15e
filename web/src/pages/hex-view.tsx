/**
 * A virtualised hex view of one mapping: only the rows on screen exist, and their bytes are
 * fetched a page (4 KiB) at a time by address and cached, so a GiB mapping scrolls without ever
 * being loaded. Moving is by keyboard (arrows, Page Up/Down, Home/End), the wheel, the slider
 * (one step per row, whatever the size) or an address typed in.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { MappingBody, MemoryReadBody } from '../../../src/server/api-types.js';
import { describeError, enc, get } from '../api.js';
import { ErrorBox } from '../components/common.js';
import { address as fmt, fromBase64, printable } from '../format.js';

const WIDTH = 16;
const ROWS = 24;
const PAGE = 4096n;

interface Chunk {
  data: Uint8Array;
  /** Per byte: 1 when the dump does not hold it. */
  missing: Uint8Array;
}

export interface Highlight {
  address: bigint;
  length: number;
}

function useChunks(id: string, pid: number) {
  const cache = useRef(new Map<bigint, Chunk | 'loading'>());
  const [, setVersion] = useState(0);
  const [error, setError] = useState<{ message: string; hint?: string }>();
  useEffect(() => cache.current.clear(), [id, pid]);
  const chunk = (at: bigint, mapping: MappingBody): Chunk | undefined => {
    const got = cache.current.get(at);
    if (got === 'loading') return undefined;
    if (got) return got;
    cache.current.set(at, 'loading');
    const end = BigInt(mapping.end);
    const length = Number((at + PAGE > end ? end : at + PAGE) - at);
    get<MemoryReadBody>(`/checkpoints/${enc(id)}/memory/${pid}?address=${fmt(at)}&length=${length}`).then(
      (body) => {
        const data = fromBase64(body.data);
        const missing = new Uint8Array(data.length);
        for (const m of body.missing) missing.fill(1, m.offset, m.offset + m.length);
        cache.current.set(at, { data, missing });
        setVersion((v) => v + 1);
      },
      (err: unknown) => {
        cache.current.delete(at);
        setError(describeError(err));
      },
    );
    return undefined;
  };
  return { chunk, error };
}

export function HexView({
  id,
  pid,
  mapping,
  at,
  highlight,
}: {
  id: string;
  pid: number;
  mapping: MappingBody;
  /** The address to show first (its row is put near the top). */
  at: bigint;
  highlight?: Highlight;
}) {
  const start = BigInt(mapping.start);
  const end = BigInt(mapping.end);
  const totalRows = Number((end - start) / BigInt(WIDTH));
  const lastTop = Math.max(0, totalRows - ROWS);
  const rowOf = (a: bigint) => Math.min(lastTop, Math.max(0, Number((a - start) / BigInt(WIDTH)) - 2));
  const [top, setTop] = useState(() => rowOf(at));
  const [goto, setGoto] = useState('');
  const [gotoError, setGotoError] = useState<string>();
  useEffect(() => setTop(rowOf(at)), [mapping.start, at]);
  const { chunk, error } = useChunks(id, pid);
  const move = (rows: number) => setTop((t) => Math.min(lastTop, Math.max(0, t + rows)));

  const onKey = (e: KeyboardEvent) => {
    const steps: Record<string, number> = {
      ArrowDown: 1,
      ArrowUp: -1,
      PageDown: ROWS,
      PageUp: -ROWS,
      Home: -Infinity,
      End: Infinity,
    };
    const step = steps[e.key];
    if (step === undefined) return;
    e.preventDefault();
    if (step === -Infinity) setTop(0);
    else if (step === Infinity) setTop(lastTop);
    else move(step);
  };

  const jump = (e: Event) => {
    e.preventDefault();
    const text = goto.trim().replace(/^0x/i, '');
    if (!/^[0-9a-f]{1,16}$/i.test(text)) return setGotoError('give a hex address');
    const a = BigInt('0x' + text);
    if (a < start || a >= end) return setGotoError(`outside this mapping (${mapping.start}-${mapping.end})`);
    setGotoError(undefined);
    setTop(rowOf(a));
  };

  const rows = [];
  for (let r = 0; r < Math.min(ROWS, totalRows); r++) {
    const rowAddress = start + BigInt((top + r) * WIDTH);
    const page = start + ((rowAddress - start) / PAGE) * PAGE;
    const c = chunk(page, mapping);
    const offset = Number(rowAddress - page);
    const hex = [];
    const ascii = [];
    for (let i = 0; i < WIDTH; i++) {
      const a = rowAddress + BigInt(i);
      const hit =
        highlight !== undefined && a >= highlight.address && a < highlight.address + BigInt(highlight.length);
      const byte = c?.data[offset + i];
      const absent = c === undefined || byte === undefined || c.missing[offset + i] === 1;
      const cls = `${hit ? 'hit ' : ''}${absent ? 'absent' : ''}`.trim() || undefined;
      hex.push(
        <span key={i} class={cls}>
          {c === undefined ? '··' : absent ? '--' : byte!.toString(16).padStart(2, '0')}
        </span>,
      );
      ascii.push(
        <span key={i} class={cls}>
          {absent ? ' ' : printable(byte!)}
        </span>,
      );
    }
    rows.push(
      <div class="hex-row" key={r} data-address={fmt(rowAddress)}>
        <span class="hex-addr">{fmt(rowAddress)}</span>
        <span class="hex-bytes">{hex}</span>
        <span class="hex-ascii">{ascii}</span>
      </div>,
    );
  }

  return (
    <div class="hexview">
      <div class="toolbar">
        <span class="mono">
          {mapping.start}-{mapping.end} {mapping.perms} {mapping.name || `[${mapping.kind}]`}
        </span>
        <form onSubmit={jump} class="inline">
          <label>
            Go to{' '}
            <input
              class="mono"
              size={16}
              value={goto}
              onInput={(e) => setGoto((e.currentTarget as HTMLInputElement).value)}
            />
          </label>
          <button type="submit" class="small">
            Go
          </button>
          {gotoError && <span class="error-inline">{gotoError}</span>}
        </form>
      </div>
      {error && <ErrorBox error={error} />}
      <div class="hex-body">
        <div
          class="hex-grid mono"
          tabIndex={0}
          role="grid"
          aria-label={`memory of pid ${pid} from ${fmt(start + BigInt(top * WIDTH))}; arrows, Page Up and Page Down move`}
          onKeyDown={onKey}
          onWheel={(e) => {
            e.preventDefault();
            move(Math.sign(e.deltaY) * 3);
          }}
        >
          {rows}
        </div>
        <input
          class="hex-slider"
          type="range"
          min={0}
          max={lastTop}
          value={top}
          aria-label="position in the mapping"
          aria-valuetext={fmt(start + BigInt(top * WIDTH))}
          onInput={(e) => setTop(Number((e.currentTarget as HTMLInputElement).value))}
        />
      </div>
    </div>
  );
}
