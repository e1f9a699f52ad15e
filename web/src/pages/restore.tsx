/**
 * Restore: without a kubeconfig, what is missing and how to provide it; with one, a form (where
 * to push the checkpoint image, and optionally namespace, name, node) and then the operation's
 * steps live, as ops reports them: publishing, upload progress, the Pod created, running.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type {
  OperationCreated,
  OperationEventBody,
  OperationResultBody,
  RestoreStatusBody,
} from '../../../src/server/api-types.js';
import { describeError, enc, follow, postJson } from '../api.js';
import { ErrorBox, Show, useApi } from '../components/common.js';
import { bytes } from '../format.js';
import { CheckpointNav } from './nav.js';

function describe(e: OperationEventBody): string {
  switch (e.type) {
    case 'publishing':
      return `pushing the checkpoint image to ${e.reference}`;
    case 'published':
      return `pushed ${e.image}`;
    case 'pulling':
      return `reading ${e.image}`;
    case 'created':
      return `created ${e.kind} ${e.namespace}/${e.name}`;
    case 'waiting':
      return `waiting for ${e.namespace}/${e.name} to run`;
    case 'running':
      return `${e.namespace}/${e.name} is running`;
    case 'warning':
      return `warning: ${e.message}`;
    default:
      return e.type;
  }
}

interface Run {
  operation: string;
  steps: string[];
  transfer?: { phase: string; done: number; total?: number };
  result?: OperationResultBody;
  error?: { message: string; hint?: string };
  finished: boolean;
}

function Progress({ operation, onCancel }: { operation: string; onCancel: () => void }) {
  const [run, setRun] = useState<Run>({ operation, steps: [], finished: false });
  const close = useRef<(() => void) | undefined>(undefined);
  useEffect(() => {
    close.current = follow(`/operations/${enc(operation)}/events`, {
      event: (raw) => {
        const e = raw as OperationEventBody;
        if (e.type === 'transfer') {
          const p = e.progress;
          setRun((r) => ({
            ...r,
            transfer: {
              phase: `${p.phase} ${p.label}`,
              done: p.transferred,
              ...(p.total ? { total: p.total } : {}),
            },
          }));
        } else setRun((r) => ({ ...r, steps: [...r.steps, describe(e)] }));
      },
      done: (result) => setRun((r) => ({ ...r, result: result as OperationResultBody, finished: true })),
      failed: (error) =>
        setRun((r) => ({ ...r, error: error as { message: string; hint?: string }, finished: true })),
    });
    return () => close.current?.();
  }, [operation]);
  return (
    <section class="section" aria-live="polite">
      <h2>Progress</h2>
      <ol class="steps">
        {run.steps.map((s, i) => (
          <li key={i}>{s}</li>
        ))}
      </ol>
      {run.transfer && !run.finished && (
        <p>
          {run.transfer.phase}: {bytes(run.transfer.done)}
          {run.transfer.total ? ` of ${bytes(run.transfer.total)}` : ''}{' '}
          {run.transfer.total && <progress max={run.transfer.total} value={run.transfer.done} />}
        </p>
      )}
      {run.result && (
        <p class="ok" role="status">
          Restored as {run.result.namespace}/{run.result.name} on {run.result.node} from {run.result.image}
          {run.result.running ? ', running' : ''}.
        </p>
      )}
      {run.error && <ErrorBox error={run.error} />}
      {!run.finished && (
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      )}
    </section>
  );
}

function Form({ id, status }: { id: string; status: RestoreStatusBody }) {
  const [fields, setFields] = useState({ registry: '', namespace: '', name: '', node: '', insecure: false });
  const [operation, setOperation] = useState<string>();
  const [error, setError] = useState<{ message: string; hint?: string }>();
  const set = (k: keyof typeof fields) => (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    setFields((f) => ({ ...f, [k]: input.type === 'checkbox' ? input.checked : input.value }));
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    const body = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== '' && v !== false));
    try {
      const created = await postJson<OperationCreated>(`/checkpoints/${enc(id)}/restore`, body);
      setOperation(created.operation);
    } catch (err) {
      setError(describeError(err));
    }
  };
  const cancel = async () => {
    if (!operation) return;
    await postJson(`/operations/${enc(operation)}/cancel`, {}).catch((err: unknown) =>
      setError(describeError(err)),
    );
  };
  return (
    <>
      <p class="muted">
        Cluster: {status.context} ({status.server}), default namespace {status.namespace}
      </p>
      <form class="form" onSubmit={submit}>
        <label>
          Registry (REGISTRY/REPOSITORY the nodes can pull from)
          <input
            required
            value={fields.registry}
            onInput={set('registry')}
            placeholder="registry.example.com/checkpoints"
          />
        </label>
        <label>
          Namespace{' '}
          <input value={fields.namespace} onInput={set('namespace')} placeholder="the original one" />
        </label>
        <label>
          Pod name <input value={fields.name} onInput={set('name')} placeholder="the original one" />
        </label>
        <label>
          Node{' '}
          <input value={fields.node} onInput={set('node')} placeholder="the node it was checkpointed on" />
        </label>
        <label class="check">
          <input type="checkbox" checked={fields.insecure} onChange={set('insecure')} /> plain HTTP or
          unverified TLS for this registry
        </label>
        <button type="submit" disabled={operation !== undefined}>
          Build, push and restore
        </button>
      </form>
      {error && <ErrorBox error={error} />}
      {operation && <Progress key={operation} operation={operation} onCancel={cancel} />}
    </>
  );
}

export function RestorePage({ id }: { id: string }) {
  const loaded = useApi<RestoreStatusBody>('/restore');
  return (
    <main>
      <CheckpointNav id={id} current="restore" />
      <h1>Restore</h1>
      <Show loaded={loaded} what="the cluster configuration">
        {(status) =>
          status.available ? (
            <Form id={id} status={status} />
          ) : (
            <div class="explain">
              <p>
                <strong>Restoring is not available:</strong> {status.missing?.message}
              </p>
              <p>{status.missing?.hint}</p>
            </div>
          )
        }
      </Show>
    </main>
  );
}
