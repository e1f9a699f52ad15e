/**
 * Memory: per process, the VMA map (one bar of the address space, each mapping a segment filled
 * as far as the dump holds its pages), the mappings, the hex view, and search. Search hits stream
 * in as the server finds them; choosing one opens the hex view on it, highlighted. Cancelling (or
 * leaving the page) closes the stream, which stops the scan on the server.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type {
  MappingBody,
  MemoryBody,
  SearchDoneBody,
  SearchHitBody,
  SearchKind,
  SearchProgressBody,
} from '../../../src/server/api-types.js';
import { enc, follow } from '../api.js';
import { ErrorBox, Show, Table, useApi } from '../components/common.js';
import { bytes, fromBase64, printable } from '../format.js';
import { HexView, type Highlight } from './hex-view.js';
import { CheckpointNav } from './nav.js';

type Process = MemoryBody['processes'][number];

const mappingOf = (p: Process, a: bigint) =>
  p.mappings.find((m) => BigInt(m.start) <= a && a < BigInt(m.end));

function VmaBar({ process, onPick }: { process: Process; onPick: (m: MappingBody) => void }) {
  return (
    <div class="vma-bar" role="group" aria-label={`mappings of pid ${process.pid}`}>
      {process.mappings.map((m) => {
        const filled = m.totalPages ? (100 * m.dumpedPages) / m.totalPages : 0;
        const label = `${m.start}-${m.end} ${m.perms} ${m.name || m.kind}: ${m.dumpedPages} of ${m.totalPages} pages dumped`;
        return (
          <button
            type="button"
            key={m.start}
            class={`vma kind-${m.kind}`}
            style={{ flexGrow: Math.max(1, Math.log2(m.totalPages + 1)) }}
            title={label}
            aria-label={label}
            onClick={() => onPick(m)}
          >
            <span class="vma-fill" style={{ height: `${filled}%` }} />
          </button>
        );
      })}
    </div>
  );
}

interface SearchState {
  running: boolean;
  hits: SearchHitBody[];
  progress?: SearchProgressBody;
  done?: SearchDoneBody;
  cancelled?: boolean;
  error?: { message: string; hint?: string };
}

function Search({ id, pid, onHit }: { id: string; pid: number; onHit: (hit: SearchHitBody) => void }) {
  const [kind, setKind] = useState<SearchKind>('string');
  const [value, setValue] = useState('');
  const [ignoreCase, setIgnoreCase] = useState(false);
  const [onlyThis, setOnlyThis] = useState(false);
  const [state, setState] = useState<SearchState>({ running: false, hits: [] });
  const close = useRef<(() => void) | undefined>(undefined);
  useEffect(() => () => close.current?.(), []);

  const start = (e: Event) => {
    e.preventDefault();
    close.current?.();
    const q = new URLSearchParams({ kind, value, ...(ignoreCase ? { ignoreCase: '1' } : {}) });
    if (onlyThis) q.set('pid', String(pid));
    setState({ running: true, hits: [] });
    close.current = follow(`/checkpoints/${enc(id)}/memory/search?${q.toString()}`, {
      hit: (h) => setState((s) => ({ ...s, hits: [...s.hits, h as SearchHitBody] })),
      progress: (p) => setState((s) => ({ ...s, progress: p as SearchProgressBody })),
      done: (d) => setState((s) => ({ ...s, running: false, done: d as SearchDoneBody })),
      failed: (err) =>
        setState((s) => ({ ...s, running: false, error: err as { message: string; hint?: string } })),
    });
  };
  const cancel = () => {
    close.current?.();
    setState((s) => ({ ...s, running: false, cancelled: true }));
  };
  const p = state.progress;
  return (
    <section class="section">
      <h2>Search memory</h2>
      <form class="toolbar" onSubmit={start} role="search">
        <label>
          Kind{' '}
          <select
            value={kind}
            onChange={(e) => setKind((e.currentTarget as HTMLSelectElement).value as SearchKind)}
          >
            <option value="string">string</option>
            <option value="regex">regex</option>
            <option value="hex">hex bytes</option>
          </select>
        </label>
        <label class="grow">
          <span class="sr-only">Search for</span>
          <input
            type="search"
            name="memory-search"
            required
            value={value}
            placeholder={kind === 'hex' ? '4b 43 52 2d' : kind === 'regex' ? 'tok_[a-z]+_\\w+' : 'API_TOKEN'}
            onInput={(e) => setValue((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        {kind !== 'hex' && (
          <label>
            <input type="checkbox" checked={ignoreCase} onChange={() => setIgnoreCase(!ignoreCase)} /> ignore
            case
          </label>
        )}
        <label>
          <input type="checkbox" checked={onlyThis} onChange={() => setOnlyThis(!onlyThis)} /> only pid {pid}
        </label>
        <button type="submit" disabled={state.running}>
          Search
        </button>
        <button type="button" disabled={!state.running} onClick={cancel}>
          Cancel
        </button>
      </form>
      {state.running && (
        <progress max={p?.totalBytes ?? 1} value={p?.scannedBytes ?? 0} aria-label="search progress" />
      )}
      {state.error && <ErrorBox error={state.error} />}
      <p class="muted" role="status">
        {state.running
          ? `${state.hits.length} hits so far${p ? `, ${bytes(p.scannedBytes)} of ${bytes(p.totalBytes)} scanned` : ''}`
          : state.cancelled
            ? `cancelled after ${state.hits.length} hits`
            : state.done
              ? `${state.done.hits} hits in ${bytes(state.done.scannedBytes)} of dumped memory${state.done.limited ? ' (stopped at the limit)' : ''}`
              : ''}
      </p>
      {state.hits.length > 0 && (
        <ol class="hits">
          {state.hits.map((h, i) => (
            <li key={i}>
              <button type="button" class="link mono" onClick={() => onHit(h)}>
                pid {h.pid} {h.address}{' '}
                {h.mapping ? `${h.mapping.perms} ${h.mapping.name || `[${h.mapping.kind}]`}` : ''}{' '}
                <span class="muted">{[...fromBase64(h.match)].slice(0, 40).map(printable).join('')}</span>
              </button>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function MemoryView({ id, memory, params }: { id: string; memory: MemoryBody; params: URLSearchParams }) {
  const first = memory.processes[0];
  const [pid, setPid] = useState(Number(params.get('pid') ?? first?.pid ?? 0));
  const [target, setTarget] = useState<{ mapping: MappingBody; at: bigint; highlight?: Highlight }>();
  const process = memory.processes.find((p) => p.pid === pid) ?? first;
  const hexRef = useRef<HTMLDivElement>(null);
  if (!process) return <p class="muted">no process memory in this checkpoint</p>;
  const open = (mapping: MappingBody, at: bigint, highlight?: Highlight) => {
    setTarget({ mapping, at, ...(highlight ? { highlight } : {}) });
    requestAnimationFrame(() => hexRef.current?.querySelector<HTMLElement>('.hex-grid')?.focus());
  };
  const onHit = (hit: SearchHitBody) => {
    const owner = memory.processes.find((p) => p.pid === hit.pid);
    const at = BigInt(hit.address);
    const mapping = owner && mappingOf(owner, at);
    if (!owner || !mapping) return;
    setPid(owner.pid);
    open(mapping, at, { address: at, length: hit.length });
  };
  return (
    <>
      <div class="toolbar">
        <label>
          Process{' '}
          <select
            value={process.pid}
            onChange={(e) => {
              setPid(Number((e.currentTarget as HTMLSelectElement).value));
              setTarget(undefined);
            }}
          >
            {memory.processes.map((p) => (
              <option key={p.pid} value={p.pid}>
                {p.pid} {p.comm} ({bytes(p.dumpedBytes)} dumped)
              </option>
            ))}
          </select>
        </label>
        <span class="muted">
          {process.vmaCount} mappings, {bytes(process.dumpedBytes)} dumped
        </span>
      </div>
      <VmaBar process={process} onPick={(m) => open(m, BigInt(m.start))} />
      <div ref={hexRef}>
        {target && target.mapping && (
          <HexView
            id={id}
            pid={process.pid}
            mapping={target.mapping}
            at={target.at}
            {...(target.highlight ? { highlight: target.highlight } : {})}
          />
        )}
      </div>
      <Search id={id} pid={process.pid} onHit={onHit} />
      <details class="section">
        <summary>
          <h2>Mappings</h2>
        </summary>
        <Table label={`mappings of pid ${process.pid}`}>
          <thead>
            <tr>
              <th scope="col">range</th>
              <th scope="col">perms</th>
              <th scope="col">kind</th>
              <th scope="col">name</th>
              <th scope="col">dumped</th>
            </tr>
          </thead>
          <tbody>
            {process.mappings.map((m) => (
              <tr key={m.start}>
                <td class="mono">
                  <button type="button" class="link" onClick={() => open(m, BigInt(m.start))}>
                    {m.start}-{m.end}
                  </button>
                </td>
                <td class="mono">{m.perms}</td>
                <td>{m.kind}</td>
                <td class="mono">{m.name}</td>
                <td class="num">
                  {m.dumpedPages}/{m.totalPages}
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      </details>
    </>
  );
}

export function MemoryPage({ id, params }: { id: string; params: URLSearchParams }) {
  const loaded = useApi<MemoryBody>(`/checkpoints/${enc(id)}/memory`);
  return (
    <main>
      <CheckpointNav id={id} current="memory" />
      <h1>Memory</h1>
      <Show loaded={loaded} what="the memory map">
        {(memory) => <MemoryView id={id} memory={memory} params={params} />}
      </Show>
    </main>
  );
}
