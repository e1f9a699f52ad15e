/**
 * The diff of two checkpoints of one container: pick A and B (the list offers the other
 * checkpoints of the same container first), then processes, files, sockets, rootfs and memory
 * growth, added in green, removed in red, changed in amber.
 */
import type { CheckpointList, DiffBody } from '../../../src/server/api-types.js';
import { enc } from '../api.js';
import { Show, Table, useApi } from '../components/common.js';
import { bytes, time } from '../format.js';
import { href } from '../router.js';

function Picker({ list, a, b }: { list: CheckpointList; a?: string; b?: string }) {
  const items = list.checkpoints.filter((c) => !c.error);
  const base = items.find((c) => c.id === a);
  const sameContainer = (c: (typeof items)[number]) =>
    base !== undefined &&
    c.container === base.container &&
    c.pod === base.pod &&
    c.namespace === base.namespace;
  const ordered = [...items.filter(sameContainer), ...items.filter((c) => !sameContainer(c))];
  const option = (c: (typeof items)[number]) => (
    <option key={c.id} value={c.id}>
      {[c.namespace, c.pod, c.container].filter(Boolean).join('/')} {time(c.time)} ({c.name})
    </option>
  );
  const go = (na?: string, nb?: string) => (location.hash = href.diff(na, nb));
  return (
    <form class="toolbar" onSubmit={(e) => e.preventDefault()}>
      <label>
        A (older){' '}
        <select value={a ?? ''} onChange={(e) => go((e.currentTarget as HTMLSelectElement).value, b)}>
          <option value="">choose…</option>
          {ordered.map(option)}
        </select>
      </label>
      <label>
        B (newer){' '}
        <select value={b ?? ''} onChange={(e) => go(a, (e.currentTarget as HTMLSelectElement).value)}>
          <option value="">choose…</option>
          {ordered.filter((c) => c.id !== a).map(option)}
        </select>
      </label>
    </form>
  );
}

type Group = [title: string, cls: 'added' | 'removed' | 'changed', items: string[]];

/** One kind of change: its groups (added, removed, changed…), each coloured, or "no change". */
function Changes({ title, groups }: { title: string; groups: Group[] }) {
  const shown = groups.filter(([, , items]) => items.length > 0);
  return (
    <section class="section" aria-label={`${title.toLowerCase()} changes`}>
      <h2>{title}</h2>
      {shown.length === 0 && <p class="muted">no change</p>}
      {shown.map(([heading, cls, items]) => (
        <div class={`change ${cls}`} key={heading}>
          <h3>
            {heading} ({items.length})
          </h3>
          <ul class="plain mono">
            {items.map((t, i) => (
              <li key={i}>{t}</li>
            ))}
          </ul>
        </div>
      ))}
    </section>
  );
}

/** `594 → 2726`, or nothing when neither side has a value. */
const range = (label: string, v?: { a?: number; b?: number }) =>
  v && (v.a !== undefined || v.b !== undefined) ? ` ${label} ${v.a ?? '–'} → ${v.b ?? '–'}` : '';
const proc = (p: { pid: number; comm: string; cmdline: string[] }) =>
  `${p.pid} ${p.comm} ${p.cmdline.join(' ')}`;
const fd = (f: { pid: number; fd: number }) => `pid ${f.pid} fd ${f.fd}`;

function DiffView({ d }: { d: DiffBody }) {
  const side = (x: DiffBody['a']) =>
    `${[x.namespace, x.pod, x.container].filter(Boolean).join('/')} checkpointed ${time(x.checkpointedAt)}`;
  return (
    <>
      <p class="muted">
        A: {side(d.a)}
        <br />
        B: {side(d.b)}
      </p>
      {d.warnings.map((w) => (
        <p class="warning" key={w}>
          {w}
        </p>
      ))}
      <Changes
        title="Processes"
        groups={[
          ['Appeared', 'added', d.processes.appeared.map(proc)],
          ['Gone', 'removed', d.processes.gone.map(proc)],
          [
            'Changed',
            'changed',
            d.processes.changed.map(
              (p) =>
                `${p.pid} ${p.comm}` +
                (p.threads ? ` threads ${p.threads.a} → ${p.threads.b}` : '') +
                (p.state ? ` state ${p.state.a} → ${p.state.b}` : '') +
                (p.env.length ? ` env ${p.env.map((e) => e.name).join(', ')}` : ''),
            ),
          ],
        ]}
      />
      <Changes
        title="Files"
        groups={[
          ['Opened', 'added', d.files.opened.map((f) => `${fd(f)} ${f.path}`)],
          ['Closed', 'removed', d.files.closed.map((f) => `${fd(f)} ${f.path}`)],
          [
            'Changed',
            'changed',
            d.files.changed.map((f) => `${fd(f)} ${f.path}${range('pos', f.pos)}${range('size', f.size)}`),
          ],
        ]}
      />
      <Changes
        title="Sockets"
        groups={[
          ['Opened', 'added', d.sockets.opened.map((s) => `${fd(s)} ${s.description}`)],
          ['Closed', 'removed', d.sockets.closed.map((s) => `${fd(s)} ${s.description}`)],
          [
            'Changed',
            'changed',
            d.sockets.changed.map(
              (s) => `${fd(s)} ${s.description}${s.state ? ` ${s.state.a} → ${s.state.b}` : ''}`,
            ),
          ],
        ]}
      />
      <Changes
        title="Rootfs"
        groups={[
          ['Added', 'added', d.rootfs.added.map((e) => `${e.path} (${bytes(e.size)})`)],
          ['Deleted', 'removed', d.rootfs.deleted],
          [
            'Changed',
            'changed',
            d.rootfs.changed.map((c) => `${c.path} ${bytes(c.a.size)} → ${bytes(c.b.size)}`),
          ],
          ['Reverted to the image', 'changed', d.rootfs.reverted],
        ]}
      />
      <section class="section">
        <h2>Memory growth</h2>
        <Table label="memory growth">
          <thead>
            <tr>
              <th scope="col">pid</th>
              <th scope="col">comm</th>
              <th scope="col">A</th>
              <th scope="col">B</th>
              <th scope="col">change</th>
            </tr>
          </thead>
          <tbody>
            {d.memory.map((m) => (
              <tr key={m.pid} class={m.delta > 0 ? 'added' : m.delta < 0 ? 'removed' : undefined}>
                <td class="num">{m.pid}</td>
                <td>{m.comm}</td>
                <td class="num">{bytes(m.a)}</td>
                <td class="num">{bytes(m.b)}</td>
                <td class="num">
                  {m.delta > 0 ? '+' : m.delta < 0 ? '−' : ''}
                  {bytes(Math.abs(m.delta))}
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      </section>
    </>
  );
}

export function DiffPage({ a, b }: { a?: string; b?: string }) {
  const list = useApi<CheckpointList>('/checkpoints');
  const diff = useApi<DiffBody>(a && b ? `/diff?a=${enc(a)}&b=${enc(b)}` : undefined);
  return (
    <main>
      <nav class="tabs" aria-label="pages">
        <a href={href.list()}>← Checkpoints</a>
      </nav>
      <h1>Compare two checkpoints</h1>
      <Show loaded={list} what="the checkpoints">
        {(l) => <Picker list={l} {...(a ? { a } : {})} {...(b ? { b } : {})} />}
      </Show>
      {a && b ? (
        <Show loaded={diff} what="the diff">
          {(d) => <DiffView d={d} />}
        </Show>
      ) : (
        <p class="muted">Choose two checkpoints of the same container.</p>
      )}
    </main>
  );
}
