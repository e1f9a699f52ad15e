/**
 * Restore from the dashboard: whether a kubeconfig is there (and if not, what is missing), then
 * ops' restore (push the checkpoint image, create the Pod, wait) as an operation whose OpEvents
 * stream to the page as server-sent events, exactly as the CLI's progress bars get them.
 */
import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { isKcrError, KcrError } from '../errors.js';
import type { OperationCreated, RestoreRequest, RestoreStatusBody } from './api-types.js';
import { readJsonBody } from './body.js';
import { sendJson, wireJson } from './respond.js';
import type { ServerState } from './state.js';

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const restoreSchema = z
  .object({
    registry: z.string().min(3),
    namespace: z.string().regex(NAME).max(63).optional(),
    name: z.string().regex(NAME).max(253).optional(),
    node: z.string().regex(NAME).max(253).optional(),
    insecure: z.boolean().optional(),
  })
  .strict() satisfies z.ZodType<RestoreRequest>;

async function restoreStatus(state: ServerState): Promise<RestoreStatusBody> {
  const { hasKubeconfig, loadKubeconfig } = await import('../kube/index.js');
  const kube = { ...state.kube, env: state.env };
  if (!hasKubeconfig(kube)) {
    return {
      available: false,
      missing: {
        message: 'no kubeconfig: restoring needs a cluster to create the Pod in',
        hint: 'start kcr ui with --kubeconfig FILE, or with KUBECONFIG set (or ~/.kube/config present); it also needs a registry the nodes can pull from',
      },
    };
  }
  try {
    const loaded = loadKubeconfig(kube);
    return { available: true, context: loaded.context, server: loaded.server, namespace: loaded.namespace };
  } catch (err) {
    if (!isKcrError(err)) throw err;
    return { available: false, missing: { message: err.message, hint: err.hint ?? 'fix the kubeconfig' } };
  }
}

export function restoreRoutes(api: Hono, state: ServerState): void {
  api.get('/restore', async (c) => sendJson(c, await restoreStatus(state)));

  api.post('/checkpoints/:id/restore', async (c) => {
    const request = await readJsonBody(c, restoreSchema, 'restore request');
    const status = await restoreStatus(state);
    if (!status.available) {
      throw new KcrError('not-found', status.missing!.message, { hint: status.missing!.hint });
    }
    if (!request.registry.includes('/')) {
      throw new KcrError('usage', `registry ${request.registry}: give REGISTRY/REPOSITORY`, {
        hint: 'e.g. registry.example.com/checkpoints',
      });
    }
    const path = await state.resolvePath(c.req.param('id'));
    const [{ restore }, { parseRepository }] = await Promise.all([
      import('../ops/index.js'),
      import('../oci/index.js'),
    ]);
    const repository = parseRepository(request.registry);
    const op = state.operations.start(async (signal, onEvent) => {
      const result = await restore({
        ...state.kube,
        env: state.env,
        source: { archive: path },
        repository,
        registry: { env: state.env, ...(request.insecure ? { insecure: true } : {}) },
        ...(request.namespace ? { namespace: request.namespace } : {}),
        ...(request.name ? { name: request.name } : {}),
        ...(request.node ? { node: request.node } : {}),
        wait: true,
        signal,
        onEvent,
      });
      return {
        image: result.image,
        node: result.node,
        namespace: result.pod.metadata?.namespace ?? '',
        name: result.pod.metadata?.name ?? '',
        running: result.running,
        warnings: result.warnings,
      };
    });
    state.log(`restore ${op.id}: ${c.req.param('id')} → ${request.registry}`);
    const body: OperationCreated = { operation: op.id };
    return sendJson(c, body, 202);
  });

  api.get('/operations/:op/events', (c) => {
    const op = state.operations.get(c.req.param('op'));
    return streamSSE(c, async (stream) => {
      // Writes are chained so that the last one (done or failed) is out before the stream ends.
      let written = Promise.resolve();
      await new Promise<void>((resolve) => {
        let unsubscribe = () => {};
        stream.onAbort(() => {
          unsubscribe();
          resolve();
        });
        unsubscribe = op.subscribe((m) => {
          const payload =
            m.kind === 'event'
              ? { event: 'event', data: m.event }
              : m.kind === 'done'
                ? { event: 'done', data: m.result }
                : { event: 'failed', data: m.error };
          written = written.then(() =>
            stream.writeSSE({ event: payload.event, data: wireJson(payload.data) }),
          );
          if (m.kind !== 'event') resolve();
        });
      });
      await written;
    });
  });

  api.post('/operations/:op/cancel', (c) => {
    const op = state.operations.get(c.req.param('op'));
    op.controller.abort();
    state.log(`restore ${op.id}: cancelled from the dashboard`);
    return sendJson(c, { cancelled: !op.finished });
  });
}
