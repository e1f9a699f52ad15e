/**
 * What the kubelet, the container runtime and CRIU say when a checkpoint fails, turned into what
 * the user should change. The message strings are the real ones (docs/checkpoint-format.md §D):
 * the kubelet answers in plain text, the API server in a Status object, and the node proxy passes
 * the kubelet's answer through unchanged.
 */
import { KcrError } from '../errors.js';
import { httpText, parseStatus } from './api-errors.js';
import type { KubeletVia } from './kubelet.js';

export interface CheckpointErrorContext {
  via: KubeletVia;
  node: string;
  namespace: string;
  pod: string;
  container: string;
  timeoutSeconds?: number;
}

const RBAC_PROXY =
  'needs RBAC `create` on `nodes/proxy`: kubectl create clusterrole kcr-checkpoint --verb=create --resource=nodes/proxy ' +
  '&& kubectl create clusterrolebinding kcr-checkpoint --clusterrole=kcr-checkpoint --user=USER';

function rbacCheckpoint(user: string): string {
  return (
    `the kubelet needs RBAC \`create\` on \`nodes/checkpoint\` for user "${user}": ` +
    'kubectl create clusterrole kcr-kubelet-checkpoint --verb=create --resource=nodes/checkpoint ' +
    `&& kubectl create clusterrolebinding kcr-kubelet-checkpoint --clusterrole=kcr-kubelet-checkpoint --user=${user}`
  );
}

const GATE_HINT =
  'the kubelet has no checkpoint endpoint: enable the ContainerCheckpoint feature gate (on by default from Kubernetes 1.30; ' +
  'alpha 1.25-1.29: featureGates: {ContainerCheckpoint: true} in the KubeletConfiguration, see `kcr setup kubeadm`) ' +
  'and keep enableDebuggingHandlers: true; `kcr doctor` checks both';

/** Runtime and CRIU causes inside `checkpointing of ns/pod/ctr failed (<cause>)`. */
function runtimeFailure(
  cause: string,
  ctx: CheckpointErrorContext,
): { code: KcrError['code']; hint: string } {
  if (
    /only supported in the CRI v1 runtime API|unknown method CheckpointContainer|CheckpointContainer.*not implemented|code = Unimplemented/i.test(
      cause,
    )
  ) {
    return {
      code: 'remote',
      hint:
        `the container runtime on ${ctx.node} cannot checkpoint through the CRI: use CRI-O >= 1.25 or containerd >= 2.0 ` +
        "(containerd 1.x and dockershim have no CheckpointContainer); `kcr doctor` shows each node's runtime",
    };
  }
  if (
    /checkpoint\/restore support not available|configured runtime does not support checkpoint/i.test(cause)
  ) {
    return {
      code: 'remote',
      hint:
        `CRI-O on ${ctx.node} has checkpointing off: install criu >= 3.16 in its PATH and set enable_criu_support = true ` +
        '(`kcr setup crio` prints the drop-in), then restart crio',
    };
  }
  if (/Connected TCP socket, consider using --tcp-established/i.test(cause)) {
    return {
      code: 'remote',
      hint:
        `the container has an open TCP connection and CRIU on ${ctx.node} was not told to dump it: add the line ` +
        '`tcp-established` to /etc/criu/runc.conf (`kcr setup crio --runc-conf` prints the file); no restart needed',
    };
  }
  if (/DeadlineExceeded|context deadline exceeded/i.test(cause)) {
    return { code: 'timeout', hint: timeoutHint(ctx) };
  }
  if (/code = NotFound|container .* not found|could not find container/i.test(cause)) {
    return { code: 'not-found', hint: 'the container is not running; check the pod with `kubectl get pod`' };
  }
  return {
    code: 'remote',
    hint: `read the CRIU log on ${ctx.node}: dump.log in the container's state directory (CRI-O: /var/lib/containers/storage/overlay-containers/<id>/userdata/dump.log)`,
  };
}

export function timeoutHint(ctx: CheckpointErrorContext): string {
  const now = ctx.timeoutSeconds;
  const next = now ? Math.max(now * 2, 240) : 300;
  return `the checkpoint took longer than ${now ? `${now}s` : "the kubelet's default (2m)"}: retry with --timeout ${next}; large memory footprints take longer`;
}

function forbiddenUser(text: string): string | undefined {
  return /user=([^,)]+)/.exec(text)?.[1];
}

/** The error for a non-2xx answer to `POST .../checkpoint/{ns}/{pod}/{container}`. */
export function checkpointError(status: number, body: string, ctx: CheckpointErrorContext): KcrError {
  const what = `checkpoint ${ctx.namespace}/${ctx.pod}/${ctx.container}`;
  const st = parseStatus(body);
  // A Status body was written by the API server itself; plain text came from the kubelet.
  const fromApiServer = ctx.via === 'apiserver' && st !== undefined;
  const text = (st?.message ?? body).trim() || httpText(status);
  const line = text.split('\n')[0]!;
  const fail = (code: KcrError['code'], hint: string, message = line) =>
    new KcrError(code, `${what}: ${message}`, { hint });

  if (status === 401) {
    if (fromApiServer)
      return fail(
        'auth',
        'the API server rejected your credentials: refresh the token or certificate in the kubeconfig',
        'unauthorized by the API server',
      );
    if (ctx.via === 'apiserver') {
      return fail(
        'auth',
        `the kubelet on ${ctx.node} does not accept the API server's client certificate (--kubelet-client-certificate); check its clientCAFile`,
        'unauthorized by the kubelet',
      );
    }
    return fail(
      'auth',
      'the kubelet rejected the client certificate: pass one signed by its client CA with --client-cert/--client-key (kubeadm: /etc/kubernetes/pki/apiserver-kubelet-client.crt)',
      'unauthorized by the kubelet',
    );
  }
  if (status === 403) {
    if (fromApiServer) return fail('auth', `your user ${RBAC_PROXY}`);
    const user = forbiddenUser(text) ?? 'USER';
    return fail('auth', rbacCheckpoint(user));
  }
  if (status === 404) {
    if (fromApiServer) return fail('not-found', `check the node name; \`kubectl get node ${ctx.node}\``);
    if (/^pod does not exist/i.test(line))
      return fail(
        'not-found',
        `the kubelet on ${ctx.node} does not run ${ctx.namespace}/${ctx.pod}; it may have been rescheduled`,
      );
    if (/container .* does not exist/i.test(line))
      return fail(
        'not-found',
        `list the pod's containers with \`kubectl get pod ${ctx.pod} -n ${ctx.namespace} -o jsonpath='{.spec.containers[*].name}'\``,
      );
    if (/timeout/i.test(line)) return fail('usage', '--timeout takes a whole number of seconds');
    return fail('not-found', GATE_HINT, 'the kubelet has no checkpoint endpoint (404 page not found)');
  }
  if (status === 500 && /^Authorization error/i.test(line)) {
    return fail(
      'auth',
      `the kubelet on ${ctx.node} could not ask the API server whether the caller may checkpoint (webhook authorization); check the kubelet log`,
    );
  }
  if (status === 504 || status === 408) return fail('timeout', timeoutHint(ctx));
  if ((status === 502 || status === 503) && fromApiServer) {
    return fail(
      'network',
      `the API server cannot reach the kubelet on ${ctx.node}; check the node is Ready, or try --via kubelet`,
    );
  }
  if (status >= 500) {
    const cause = /failed \((.*)\)\s*$/s.exec(text)?.[1] ?? text;
    const { code, hint } = runtimeFailure(cause, ctx);
    return fail(code, hint, text.replace(/\s+/g, ' '));
  }
  return fail(
    'remote',
    `unexpected answer ${status} from ${ctx.via === 'apiserver' ? 'the API server' : 'the kubelet'}`,
  );
}
