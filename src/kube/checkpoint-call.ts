/**
 * One kubelet checkpoint call: `POST /checkpoint/{namespace}/{pod}/{container}?timeout=N`,
 * answered with `{"items":["<archive path on the node>"]}`.
 */
import { KcrError } from '../errors.js';
import { tryParseJsonWith } from '../util/validate.js';
import { networkError } from './api-errors.js';
import { checkpointAnswerSchema } from './documents.js';
import { checkpointError, timeoutHint, type CheckpointErrorContext } from './checkpoint-errors.js';
import { isLocalTimeout } from './http.js';
import { kubeletTlsHint, type KubeletEndpoint } from './kubelet.js';

/** The kubelet's CRI timeout (runtimeRequestTimeout) applies whenever ours is not longer. */
export const KUBELET_DEFAULT_TIMEOUT_SECONDS = 120;
/** How long past the kubelet's own deadline we wait for its answer before giving up locally. */
const LOCAL_GRACE_SECONDS = 30;

export interface CheckpointCall {
  namespace: string;
  pod: string;
  container: string;
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

function parseItems(body: string): string | undefined {
  return tryParseJsonWith(checkpointAnswerSchema, body)?.items[0] || undefined;
}

/** Asks the kubelet to checkpoint one container and returns the archive path on the node. */
export async function requestCheckpoint(kubelet: KubeletEndpoint, call: CheckpointCall): Promise<string> {
  const ctx: CheckpointErrorContext = { via: kubelet.via, node: kubelet.node, ...call };
  const path = ['checkpoint', call.namespace, call.pod, call.container].map(encodeURIComponent).join('/');
  const effective = Math.max(call.timeoutSeconds ?? 0, KUBELET_DEFAULT_TIMEOUT_SECONDS);
  let res;
  try {
    res = await kubelet.request({
      method: 'POST',
      path: `/${path}`,
      query: { timeout: call.timeoutSeconds === undefined ? undefined : String(call.timeoutSeconds) },
      timeoutMs: (effective + LOCAL_GRACE_SECONDS) * 1000,
      signal: call.signal,
    });
  } catch (err) {
    if (err instanceof KcrError) throw err;
    const what = `checkpoint ${call.namespace}/${call.pod}/${call.container}`;
    if (isLocalTimeout(err)) {
      throw new KcrError(
        'timeout',
        `${what}: no answer from ${kubelet.server} within ${effective + LOCAL_GRACE_SECONDS}s`,
        {
          hint: timeoutHint(ctx),
          cause: err,
        },
      );
    }
    const tlsHint = kubelet.via === 'kubelet' ? kubeletTlsHint(kubelet.server, kubelet.node) : undefined;
    const net = networkError(err, kubelet.server, tlsHint);
    if (net) throw new KcrError(net.code, `${what}: ${net.message}`, { hint: net.hint, cause: err });
    throw new KcrError('network', `${what}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  if (res.status < 200 || res.status >= 300) throw checkpointError(res.status, res.body, ctx);
  const archive = parseItems(res.body);
  if (!archive) {
    throw new KcrError(
      'remote',
      `checkpoint ${call.namespace}/${call.pod}/${call.container}: unexpected answer from the kubelet: ${res.body.slice(0, 200)}`,
      {
        hint: 'the kubelet should answer {"items":["<path>"]}; is --kubelet-url a kubelet?',
      },
    );
  }
  return archive;
}
