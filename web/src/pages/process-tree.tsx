/**
 * The process tree, expandable: each process opens to its command line, environment (masked;
 * "Reveal" asks the server, which logs it), open files and sockets. Files and sockets are loaded
 * once, when the first process is opened.
 */
import { useState } from 'preact/hooks';
import type { InspectionBody, RevealBody } from '../../../src/server/api-types.js';
import { describeError, enc, postJson } from '../api.js';
import { ErrorBox, Show, Table, useApi, type Loaded } from '../components/common.js';

type Process = NonNullable<InspectionBody['processes']>[number];

function Env({ id, process }: { id: string; process: Process }) {
  const [revealed, setRevealed] = useState<RevealBody>();
  const [error, setError] = useState<{ message: string; hint?: string }>();
  const env = revealed?.env ?? process.env ?? [];
  const anyMasked = (process.env ?? []).some((e) => e.masked);
  const reveal = async () => {
    try {
      setRevealed(await postJson<RevealBody>(`/checkpoints/${enc(id)}/reveal`, { pid: process.pid }));
    } catch (err) {
      setError(describeError(err));
    }
  };
  return (
    <section>
      <h4>
        Environment{' '}
        {anyMasked && !revealed && (
          <button type="button" class="small" onClick={reveal}>
            Reveal masked values
          </button>
        )}
      </h4>
      {error && <ErrorBox error={error} />}
      {env.length === 0 ? (
        <p class="muted">none read from memory</p>
      ) : (
        <Table label={`environment of pid ${process.pid}`}>
          <tbody>
            {env.map((e) => (
              <tr key={e.name}>
                <th scope="row">{e.name}</th>
                <td class={'masked' in e && e.masked ? 'masked mono' : 'mono'}>{e.value}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </section>
  );
}

function FilesAndSockets({ pid, views }: { pid: number; views: Loaded<InspectionBody> }) {
  return (
    <Show loaded={views} what="files and sockets">
      {(v) => {
        const files = v.files?.find((f) => f.pid === pid);
        const sockets = (v.sockets ?? []).filter((s) => s.pid === pid);
        return (
          <>
            <section>
              <h4>Open files</h4>
              {files ? (
                <Table label={`open files of pid ${pid}`}>
                  <thead>
                    <tr>
                      <th scope="col">fd</th>
                      <th scope="col">type</th>
                      <th scope="col">path</th>
                      <th scope="col">pos</th>
                    </tr>
                  </thead>
                  <tbody>
                    {files.fds.map((f) => (
                      <tr key={f.fd}>
                        <td class="num">{f.fd}</td>
                        <td>{f.type}</td>
                        <td class="mono">
                          {f.path}
                          {f.deleted ? ' (deleted)' : ''}
                        </td>
                        <td class="num">{f.pos ?? ''}</td>
                      </tr>
                    ))}
                  </tbody>
                </Table>
              ) : (
                <p class="muted">none</p>
              )}
            </section>
            <section>
              <h4>Sockets</h4>
              {sockets.length === 0 ? (
                <p class="muted">none</p>
              ) : (
                <Table label={`sockets of pid ${pid}`}>
                  <thead>
                    <tr>
                      <th scope="col">fd</th>
                      <th scope="col">kind</th>
                      <th scope="col">state</th>
                      <th scope="col">local</th>
                      <th scope="col">remote / path</th>
                    </tr>
                  </thead>
                  <tbody>
                    {sockets.map((s) => (
                      <tr key={s.fd}>
                        <td class="num">{s.fd}</td>
                        <td>
                          {s.family} {s.protocol ?? s.type}
                        </td>
                        <td>{s.state}</td>
                        <td class="mono">{s.local ?? ''}</td>
                        <td class="mono">{s.remote ?? s.path ?? ''}</td>
                      </tr>
                    ))}
                  </tbody>
                </Table>
              )}
            </section>
          </>
        );
      }}
    </Show>
  );
}

function Node({
  id,
  process,
  children,
  byParent,
  views,
  onOpen,
}: {
  id: string;
  process: Process;
  children: Process[];
  byParent: Map<number, Process[]>;
  views: Loaded<InspectionBody>;
  onOpen: () => void;
}) {
  const [open, setOpen] = useState(false);
  return (
    <li class="proc" data-pid={process.pid}>
      <button
        type="button"
        class="proc-toggle"
        aria-expanded={open}
        onClick={() => {
          setOpen(!open);
          onOpen();
        }}
      >
        <span aria-hidden="true">{open ? '▾' : '▸'}</span> <span class="pid">{process.pid}</span>{' '}
        <strong>{process.comm}</strong> <span class="muted">{process.state}</span>
        {process.threads.length > 1 && <span class="muted"> · {process.threads.length} threads</span>}
      </button>
      {open && (
        <div class="proc-detail">
          <section>
            <h4>Command line</h4>
            <code class="cmdline">{(process.cmdline ?? []).join(' ')}</code>
            {process.titleRewritten && (
              <p class="muted">
                The process rewrote its command line (setproctitle) over its environment: the environment read
                from memory starts with what is left of it.
              </p>
            )}
            {process.exe && <p class="muted">exe {process.exe}</p>}
          </section>
          <Env id={id} process={process} />
          <FilesAndSockets pid={process.pid} views={views} />
        </div>
      )}
      {children.length > 0 && (
        <ul>
          {children.map((c) => (
            <Node
              key={c.pid}
              id={id}
              process={c}
              children={byParent.get(c.pid) ?? []}
              byParent={byParent}
              views={views}
              onOpen={onOpen}
            />
          ))}
        </ul>
      )}
    </li>
  );
}

export function ProcessTree({ id, processes }: { id: string; processes: Process[] }) {
  const [wantViews, setWantViews] = useState(false);
  const views = useApi<InspectionBody>(wantViews ? `/checkpoints/${enc(id)}?views=files,sockets` : undefined);
  const pids = new Set(processes.map((p) => p.pid));
  const byParent = new Map<number, Process[]>();
  for (const p of processes) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const roots = processes.filter((p) => !pids.has(p.ppid));
  return (
    <ul class="tree" aria-label="process tree">
      {roots.map((p) => (
        <Node
          key={p.pid}
          id={id}
          process={p}
          children={byParent.get(p.pid) ?? []}
          byParent={byParent}
          views={views}
          onOpen={() => setWantViews(true)}
        />
      ))}
    </ul>
  );
}
