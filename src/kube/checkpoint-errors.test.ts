import { describe, expect, it } from 'vitest';
import { checkpointError, type CheckpointErrorContext } from './checkpoint-errors.js';

const viaApi: CheckpointErrorContext = {
  via: 'apiserver',
  node: 'n1',
  namespace: 'ns',
  pod: 'p',
  container: 'c',
};
const direct: CheckpointErrorContext = { ...viaApi, via: 'kubelet' };
const status = (code: number, message: string, reason = 'InternalError') =>
  JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  });

describe('checkpointError', () => {
  it.each([
    [
      'kubelet 404 bad timeout',
      direct,
      404,
      'cannot parse value of timeout parameter',
      'usage',
      '--timeout takes a whole number',
    ],
    [
      'API server 404 node',
      viaApi,
      404,
      status(404, 'nodes "n1" not found', 'NotFound'),
      'not-found',
      'kubectl get node n1',
    ],
    [
      'API server cannot reach the kubelet',
      viaApi,
      503,
      status(
        503,
        'error trying to reach service: dial tcp 10.0.0.5:10250: connect: connection refused',
        'ServiceUnavailable',
      ),
      'network',
      '--via kubelet',
    ],
    [
      'proxy timeout',
      viaApi,
      504,
      status(504, 'Timeout: request did not complete within requested timeout', 'Timeout'),
      'timeout',
      '--timeout 300',
    ],
    [
      'kubelet authorization webhook failed',
      direct,
      500,
      'Authorization error (user=x, verb=create, resource=nodes, subresource(s)=[checkpoint])',
      'auth',
      'webhook authorization',
    ],
    [
      'containerd 1.7 without the method',
      viaApi,
      500,
      'checkpointing of ns/p/c failed (rpc error: code = Unimplemented desc = unknown method CheckpointContainer for service runtime.v1.RuntimeService)',
      'remote',
      'containerd >= 2.0',
    ],
    [
      'any other CRIU failure',
      viaApi,
      500,
      'checkpointing of ns/p/c failed (rpc error: code = Unknown desc = failed to checkpoint container abc: criu failed: type NOTIFY errno 0)',
      'remote',
      'dump.log',
    ],
  ] as const)('%s', (_name, ctx, code, body, errCode, hint) => {
    const err = checkpointError(code, body, ctx);
    expect(err.code).toBe(errCode);
    expect(err.message.startsWith('checkpoint ns/p/c: ')).toBe(true);
    expect(err.message).not.toContain('\n');
    expect(err.hint).toContain(hint);
  });

  it('doubles a given --timeout in its hint, with at least 240 seconds', () => {
    const err = checkpointError(
      500,
      'checkpointing of ns/p/c failed (rpc error: code = DeadlineExceeded desc = context deadline exceeded)',
      { ...viaApi, timeoutSeconds: 200 },
    );
    expect(err.code).toBe('timeout');
    expect(err.hint).toContain('took longer than 200s: retry with --timeout 400');
  });

  it('tells an API server 401 from a kubelet 401 passed through the proxy', () => {
    expect(checkpointError(401, status(401, 'Unauthorized', 'Unauthorized'), viaApi).hint).toContain(
      'refresh the token',
    );
    expect(checkpointError(401, 'Unauthorized', viaApi).hint).toContain(
      "does not accept the API server's client certificate",
    );
  });
});
