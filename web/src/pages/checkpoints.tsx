/**
 * The checkpoints list: sortable by any column (the header buttons; aria-sort says how), filtered
 * by a text that any field may contain, two rows picked for a diff, and an upload that opens the
 * uploaded archive at once.
 */
import { useMemo, useState } from 'preact/hooks';
import type { CheckpointList, CheckpointListItem, UploadBody } from '../../../src/server/api-types.js';
import { describeError, post } from '../api.js';
import { ErrorBox, Show, Table, useApi } from '../components/common.js';
import { bytes, time } from '../format.js';
import { href } from '../router.js';

type Column = {
  key: keyof CheckpointListItem;
  label: string;
  render?: (item: CheckpointListItem) => string;
  numeric?: boolean;
};

const COLUMNS: Column[] = [
  { key: 'namespace', label: 'Namespace' },
  { key: 'pod', label: 'Pod' },
  { key: 'container', label: 'Container' },
  { key: 'node', label: 'Node' },
  { key: 'time', label: 'Checkpointed', render: (i) => time(i.time) },
  { key: 'size', label: 'Size', render: (i) => bytes(i.size), numeric: true },
  { key: 'engine', label: 'Engine' },
  { key: 'encrypted', label: 'Encrypted', render: (i) => (i.encrypted ? 'yes' : 'no') },
  { key: 'origin', label: 'Store', render: (i) => i.store ?? i.origin },
];

function compare(a: CheckpointListItem, b: CheckpointListItem, key: keyof CheckpointListItem): number {
  const [x, y] = [a[key], b[key]];
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  return String(x ?? '').localeCompare(String(y ?? ''));
}

function Upload({ onError }: { onError: (e: { message: string; hint?: string } | undefined) => void }) {
  const [busy, setBusy] = useState(false);
  const upload = async (file: File) => {
    setBusy(true);
    onError(undefined);
    try {
      const { checkpoint } = await post<UploadBody>('/uploads', file, {
        'content-type': 'application/octet-stream',
        'x-kcr-filename': file.name,
      });
      location.hash = href.detail(checkpoint.id);
    } catch (err) {
      onError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <label class="button upload">
      {busy ? 'Uploading…' : 'Upload an archive'}
      <input
        type="file"
        accept=".tar,.gz,.zst"
        disabled={busy}
        onChange={(e) => {
          const file = (e.currentTarget as HTMLInputElement).files?.[0];
          if (file) void upload(file);
        }}
      />
    </label>
  );
}

function ListTable({ list }: { list: CheckpointList }) {
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<{ key: keyof CheckpointListItem; up: boolean }>({
    key: 'time',
    up: false,
  });
  const [picked, setPicked] = useState<string[]>([]);
  const rows = useMemo(() => {
    const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = list.checkpoints.filter((item) => {
      const text = [item.name, ...COLUMNS.map((c) => (c.render ? c.render(item) : String(item[c.key] ?? '')))]
        .join(' ')
        .toLowerCase();
      return words.every((w) => text.includes(w));
    });
    return shown.sort((a, b) => compare(a, b, sort.key) * (sort.up ? 1 : -1));
  }, [list, filter, sort]);
  const toggle = (id: string) =>
    setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p, id].slice(-2)));

  return (
    <>
      <div class="toolbar">
        <label>
          Filter{' '}
          <input
            type="search"
            value={filter}
            placeholder="namespace, pod, engine…"
            onInput={(e) => setFilter((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <a
          class={`button${picked.length === 2 ? '' : ' disabled'}`}
          href={picked.length === 2 ? href.diff(picked[0], picked[1]) : undefined}
          aria-disabled={picked.length !== 2}
        >
          Compare the two picked
        </a>
        <span class="muted">
          {rows.length} of {list.checkpoints.length}
        </span>
      </div>
      <Table label="checkpoints">
        <thead>
          <tr>
            <th scope="col">
              <span class="sr-only">Compare</span>
            </th>
            <th scope="col">Archive</th>
            {COLUMNS.map((c) => (
              <th
                scope="col"
                key={c.key}
                aria-sort={sort.key === c.key ? (sort.up ? 'ascending' : 'descending') : 'none'}
              >
                <button
                  type="button"
                  class="sort"
                  onClick={() => setSort((s) => ({ key: c.key, up: s.key === c.key ? !s.up : true }))}
                >
                  {c.label}
                  {sort.key === c.key ? (sort.up ? ' ▲' : ' ▼') : ''}
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((item) => (
            <tr key={item.id} class={item.error ? 'unreadable' : undefined}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`pick ${item.name} to compare`}
                  checked={picked.includes(item.id)}
                  onChange={() => toggle(item.id)}
                />
              </td>
              <td>
                <a href={href.detail(item.id)}>{item.name}</a>
                {item.error && <div class="hint">unreadable: {item.error}</div>}
              </td>
              {COLUMNS.map((c) => (
                <td key={c.key} class={c.numeric ? 'num' : undefined}>
                  {c.render ? c.render(item) : String(item[c.key] ?? '')}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </Table>
      {list.checkpoints.length === 0 && (
        <p class="muted">
          No checkpoint archives in {list.sources.map((s) => s.location).join(', ')}. Upload one, or start kcr
          ui with a directory that holds some.
        </p>
      )}
    </>
  );
}

export function CheckpointsPage() {
  const loaded = useApi<CheckpointList>('/checkpoints');
  const [uploadError, setUploadError] = useState<{ message: string; hint?: string }>();
  return (
    <main>
      <div class="page-head">
        <h1>Checkpoints</h1>
        <Upload onError={setUploadError} />
      </div>
      {uploadError && <ErrorBox error={uploadError} />}
      <Show loaded={loaded} what="the checkpoints">
        {(list) => <ListTable list={list} />}
      </Show>
    </main>
  );
}
