/**
 * One checkpoint: the summary and the process tree first (they come from one quick request), then
 * mounts, rootfs changes (with a text viewer), dump statistics and the container log, each loaded
 * when its section is opened.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { InspectionBody, RootfsFileBody } from '../../../src/server/api-types.js';
import { enc } from '../api.js';
import { Show, Table, useApi } from '../components/common.js';
import { bytes, micros, time } from '../format.js';
import { CheckpointNav } from './nav.js';
import { ProcessTree } from './process-tree.js';

function Lazy({
  title,
  id,
  view,
  children,
}: {
  title: string;
  id: string;
  view: string;
  children: (body: InspectionBody) => ComponentChildren;
}) {
  const [open, setOpen] = useState(false);
  const loaded = useApi<InspectionBody>(open ? `/checkpoints/${enc(id)}?views=${view}` : undefined);
  return (
    <details class="section" onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>
        <h2>{title}</h2>
      </summary>
      {open && (
        <Show loaded={loaded} what={title.toLowerCase()}>
          {(body) => {
            const failed = body.errors?.find((e) => e.view === view);
            return failed ? <p class="error">{failed.message}</p> : children(body);
          }}
        </Show>
      )}
    </details>
  );
}

function Summary({ body }: { body: InspectionBody }) {
  const c = body.checkpoint;
  const rows: Array<[string, string | undefined]> = [
    ['Container', c.container],
    ['Pod', c.pod],
    ['Namespace', c.namespace],
    ['Engine', c.engine],
    ['Runtime', c.runtime],
    ['Image', c.image],
    ['Hostname', c.hostname],
    ['IP', c.ip],
    ['Created', time(c.createdAt)],
    ['Checkpointed', time(c.checkpointedAt)],
    ['Archive size', bytes(c.sizes.total)],
    ['Memory pages', bytes(c.sizes.memoryPages)],
    ['Rootfs changes', bytes(c.sizes.rootfsDiff)],
    [
      'CRIU images',
      `${body.criu.images} (format ${body.criu.imageVersion ?? '?'}, ${body.criu.architecture ?? '?'})`,
    ],
  ];
  return (
    <dl class="summary">
      {rows
        .filter(([, v]) => v)
        .map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
    </dl>
  );
}

function FileViewer({ id, path, onClose }: { id: string; path: string; onClose: () => void }) {
  const loaded = useApi<RootfsFileBody>(`/checkpoints/${enc(id)}/rootfs/file?path=${enc(path)}`);
  return (
    <div class="viewer" role="region" aria-label={`contents of ${path}`}>
      <div class="viewer-head">
        <strong class="mono">{path}</strong>
        <button type="button" class="small" onClick={onClose}>
          Close
        </button>
      </div>
      <Show loaded={loaded} what={path}>
        {(f) =>
          f.binary ? (
            <p class="muted">binary file ({bytes(f.size)}): extract it with kcr rootfs extract</p>
          ) : (
            <>
              <pre class="file-text">{f.text}</pre>
              {f.truncated && <p class="muted">showing the first part of {bytes(f.size)}</p>}
            </>
          )
        }
      </Show>
    </div>
  );
}

function Rootfs({ id, body }: { id: string; body: InspectionBody }) {
  const [viewing, setViewing] = useState<string>();
  const rootfs = body.rootfs!;
  return (
    <>
      {rootfs.changed.length === 0 ? (
        <p class="muted">no changed files</p>
      ) : (
        <Table label="changed files">
          <thead>
            <tr>
              <th scope="col">path</th>
              <th scope="col">type</th>
              <th scope="col">size</th>
              <th scope="col">mode</th>
            </tr>
          </thead>
          <tbody>
            {rootfs.changed.map((f) => (
              <tr key={f.path}>
                <td class="mono">
                  {f.type === 'file' ? (
                    <button type="button" class="link" onClick={() => setViewing(f.path)}>
                      {f.path}
                    </button>
                  ) : (
                    f.path
                  )}
                </td>
                <td>{f.type}</td>
                <td class="num">{bytes(f.size)}</td>
                <td class="mono">{f.mode}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      {viewing && <FileViewer id={id} path={viewing} onClose={() => setViewing(undefined)} />}
      <h3>Deleted</h3>
      {rootfs.deleted.length === 0 ? (
        <p class="muted">none</p>
      ) : (
        <ul class="plain">
          {rootfs.deleted.map((p) => (
            <li key={p} class="mono deleted">
              {p}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/** Dump statistics as bars: the times on one scale, the page counts on another. */
function StatsChart({ stats }: { stats: NonNullable<InspectionBody['stats']> }) {
  const times: Array<[string, number]> = [
    ['freezing', stats.freezingTimeUs],
    ['frozen (downtime)', stats.frozenTimeUs],
    ['memory dump', stats.memdumpTimeUs],
    ['memory write', stats.memwriteTimeUs],
  ];
  const pages: Array<[string, number]> = [
    ['pages scanned', stats.pagesScanned],
    ['pages written', stats.pagesWritten],
    ['skipped (parent)', stats.pagesSkippedParent],
    ['lazy', stats.pagesLazy],
  ];
  const bars = (rows: Array<[string, number]>, show: (n: number) => string) => {
    const max = Math.max(1, ...rows.map(([, v]) => v));
    return (
      <div class="bars">
        {rows.map(([label, v]) => (
          <div class="bar-row" key={label}>
            <span class="bar-label">{label}</span>
            <span class="bar-track" aria-hidden="true">
              <span class="bar-fill" style={{ width: `${(100 * v) / max}%` }} />
            </span>
            <span class="bar-value">{show(v)}</span>
          </div>
        ))}
      </div>
    );
  };
  return (
    <div class="chart" role="figure" aria-label="dump statistics">
      {bars(times, micros)}
      {bars(pages, (n) => `${n} (${bytes(n * 4096)})`)}
    </div>
  );
}

export function DetailPage({ id }: { id: string }) {
  const loaded = useApi<InspectionBody>(`/checkpoints/${enc(id)}`);
  return (
    <main>
      <CheckpointNav id={id} current="detail" />
      <Show loaded={loaded} what="the checkpoint">
        {(body) => (
          <>
            <h1>
              {body.checkpoint.container}
              {body.checkpoint.pod && <span class="muted"> in {body.checkpoint.pod}</span>}
            </h1>
            {body.errors?.map((e) => (
              <p key={e.view} class="error">
                {e.view}: {e.message}
              </p>
            ))}
            <Summary body={body} />
            <section class="section">
              <h2>Processes</h2>
              <ProcessTree id={id} processes={body.processes ?? []} />
            </section>
            <Lazy title="Mounts" id={id} view="mounts">
              {(b) => (
                <Table label="mounts">
                  <thead>
                    <tr>
                      <th scope="col">mountpoint</th>
                      <th scope="col">type</th>
                      <th scope="col">source</th>
                      <th scope="col">options</th>
                    </tr>
                  </thead>
                  <tbody>
                    {(b.mounts?.criu ?? []).map((m) => (
                      <tr key={m.mountId}>
                        <td class="mono">{m.mountpoint}</td>
                        <td>{m.fstype}</td>
                        <td class="mono">{m.external ? `host bind (${m.external})` : m.source}</td>
                        <td class="mono">{m.options}</td>
                      </tr>
                    ))}
                  </tbody>
                </Table>
              )}
            </Lazy>
            <Lazy title="Rootfs changes" id={id} view="rootfs">
              {(b) => <Rootfs id={id} body={b} />}
            </Lazy>
            <Lazy title="Dump statistics" id={id} view="stats">
              {(b) => <StatsChart stats={b.stats!} />}
            </Lazy>
            <Lazy title="Container log" id={id} view="log">
              {(b) => (
                <pre class="log">
                  {(b.log?.lines ?? [])
                    .map((l) => `${l.time ?? ''} ${l.stream ?? ''} ${l.text}`.trim())
                    .join('\n') || '(empty)'}
                </pre>
              )}
            </Lazy>
          </>
        )}
      </Show>
    </main>
  );
}
