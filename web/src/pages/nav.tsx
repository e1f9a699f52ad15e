/** The tabs of one checkpoint's pages. */
import { href } from '../router.js';

const TABS = [
  ['detail', 'Overview'],
  ['memory', 'Memory'],
  ['secrets', 'Secrets'],
  ['restore', 'Restore'],
] as const;

export function CheckpointNav({ id, current }: { id: string; current: (typeof TABS)[number][0] }) {
  return (
    <nav class="tabs" aria-label="checkpoint pages">
      <a href={href.list()}>← Checkpoints</a>
      {TABS.map(([page, label]) => (
        <a key={page} href={href[page](id)} aria-current={page === current ? 'page' : undefined}>
          {label}
        </a>
      ))}
      <a href={href.diff(id)}>Compare…</a>
      <span class="crumb mono" title={id}>
        {id.split('/').pop()}
      </span>
    </nav>
  );
}
