/** Small pieces every page uses: loading a resource, showing an API error, a page header. */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { describeError, get } from '../api.js';

export interface Loaded<T> {
  data?: T;
  error?: { message: string; hint?: string };
  loading: boolean;
}

/** GETs `path` (again whenever it changes); undefined waits. A newer request aborts the older. */
export function useApi<T>(path: string | undefined): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ loading: path !== undefined });
  useEffect(() => {
    if (path === undefined) return;
    const controller = new AbortController();
    setState({ loading: true });
    get<T>(path, controller.signal).then(
      (data) => setState({ data, loading: false }),
      (err: unknown) => {
        if (!controller.signal.aborted) setState({ error: describeError(err), loading: false });
      },
    );
    return () => controller.abort();
  }, [path]);
  return state;
}

export function ErrorBox({ error }: { error: { message: string; hint?: string } }) {
  return (
    <div class="error" role="alert">
      <strong>error:</strong> {error.message}
      {error.hint && (
        <div class="hint">
          <strong>hint:</strong> {error.hint}
        </div>
      )}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      Loading {what}…
    </p>
  );
}

/** Shows the loaded value, the error, or a loading line. */
export function Show<T>({
  loaded,
  what,
  children,
}: {
  loaded: Loaded<T>;
  what: string;
  children: (data: T) => ComponentChildren;
}) {
  if (loaded.error) return <ErrorBox error={loaded.error} />;
  if (loaded.data === undefined) return <Loading what={what} />;
  return <>{children(loaded.data)}</>;
}

/** A table that scrolls sideways on a narrow window instead of breaking the page. */
export function Table({ children, label }: { children: ComponentChildren; label: string }) {
  return (
    <div class="table-wrap" role="region" aria-label={label} tabIndex={0}>
      <table>{children}</table>
    </div>
  );
}
