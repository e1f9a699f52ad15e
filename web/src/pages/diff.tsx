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

function Lines({ title, items, cls }: { title: string; items: string[]; cls: string }) {
  if (items.length === 0) return null;
  return (
    <div class={`change ${cls}`}>
      <h3>
        {title} ({items.length})
      </h3>
      <ul class="plain mono">
        {items.map((t, i) => (
          <li key={i}>{t}</li>
        ))}
      </ul>
    </div>
  );
}

const range = (v?: { a?: number; b?: number }) => (v ? `${v.a ?? '–'} → ${v.b ?? '–'}` : '');

function DiffView({ d }: { d: DiffBody }) {
  const nothing = (xs: unknown[]) => xs.length === 0;
  return (
    <>
      {d.warnings.map((w) => (
        <p class="warning" key={w}>
          {w}
        </p>
      ))}
      <section class="section">
        <h2>Processes</h2>
        <Lines
          title="Appeared"
          cls="added"
          items={d.processes.appeared.map((p) => `${p.pid} ${p.comm} ${p.cmdline.join(' ')}`)}
        />
        <Lines
          title="Gone"
          cls="removed"
          items={d.processes.gone.map((p) => `${p.pid} ${p.comm} ${p.cmdline.join(' ')}`)}
        />
        <Lines
          title="Changed"
          cls="changed"
          items={d.processes.changed.map(
            (p) =>
              `${p.pid} ${p.comm}` +
              (p.threads ? ` threads ${p.threads.a} → ${p.threads.b}` : '') +
              (p.state ? ` state ${p.state.a} → ${p.state.b}` : '') +
              (p.env.length ? ` env ${p.env.map((e) => e.name).join(', ')}` : ''),
          )}
        />
        {nothing([...d.processes.appeared, ...d.processes.gone, ...d.processes.changed]) && (
          <p class="muted">no change</p>
        )}
      </section>
      <section class="section">
        <h2>Files</h2>
        <Lines
          title="Opened"
          cls="added"
          items={d.files.opened.map((f) => `pid ${f.pid} fd ${f.fd} ${f.path}`)}
        />
        <Lines
          title="Closed"
          cls="removed"
          items={d.files.closed.map((f) => `pid ${f.pid} fd ${f.fd} ${f.path}`)}
        />
        <Lines
          title="Changed"
          cls="changed"
          items={d.files.changed.map(
            (f) =>
              `pid ${f.pid} fd ${f.fd} ${f.path} pos ${range(f.pos)}${f.size ? ` size ${range(f.size)}` : ''}`,
          )}
        />
        {nothing([...d.files.opened, ...d.files.closed, ...d.files.changed]) && (
          <p class="muted">no change</p>
        )}
      </section>
      <section class="section">
        <h2>Sockets</h2>
        <Lines
          title="Opened"
          cls="added"
          items={d.sockets.opened.map((s) => `pid ${s.pid} fd ${s.fd} ${s.description}`)}
        />
        <Lines
          title="Closed"
          cls="removed"
          items={d.sockets.closed.map((s) => `pid ${s.pid} fd ${s.fd} ${s.description}`)}
        />
        <Lines
          title="Changed"
          cls="changed"
          items={d.sockets.changed.map(
            (s) => `pid ${s.pid} fd ${s.fd} ${s.description}${s.state ? ` ${s.state.a} → ${s.state.b}` : ''}`,
          )}
        />
        {nothing([...d.sockets.opened, ...d.sockets.closed, ...d.sockets.changed]) && (
          <p class="muted">no change</p>
        )}
      </section>
      <section class="section" aria-label="rootfs changes">
        <h2>Rootfs</h2>
        <Lines title="Added" cls="added" items={d.rootfs.added.map((e) => `${e.path} (${bytes(e.size)})`)} />
        <Lines title="Deleted" cls="removed" items={d.rootfs.deleted} />
        <Lines
          title="Changed"
          cls="changed"
          items={d.rootfs.changed.map((c) => `${c.path} ${bytes(c.a.size)} → ${bytes(c.b.size)}`)}
        />
        <Lines title="Reverted to the image" cls="changed" items={d.rootfs.reverted} />
      </section>
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
