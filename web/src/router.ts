/**
 * Hash routes, so that the server serves one index.html and a reload keeps the page:
 * `#/`, `#/c/ID[/memory|/secrets|/restore]`, `#/diff?a=ID&b=ID`.
 */
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  page: 'list' | 'detail' | 'memory' | 'secrets' | 'restore' | 'diff';
  id?: string;
  params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'c' && parts[1]) {
    const id = decodeURIComponent(parts[1]);
    const sub = parts[2];
    if (sub === 'memory' || sub === 'secrets' || sub === 'restore') return { page: sub, id, params };
    return { page: 'detail', id, params };
  }
  if (parts[0] === 'diff') return { page: 'diff', params };
  return { page: 'list', params };
}

export const href = {
  list: () => '#/',
  detail: (id: string) => `#/c/${encodeURIComponent(id)}`,
  memory: (id: string, q = '') => `#/c/${encodeURIComponent(id)}/memory${q ? '?' + q : ''}`,
  secrets: (id: string) => `#/c/${encodeURIComponent(id)}/secrets`,
  restore: (id: string) => `#/c/${encodeURIComponent(id)}/restore`,
  diff: (a?: string, b?: string) =>
    `#/diff?${new URLSearchParams({ ...(a ? { a } : {}), ...(b ? { b } : {}) }).toString()}`,
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
