/**
 * One node's kubelet secure port: client certificates verified against the cluster CA (401
 * otherwise), the authorization answer of a real kubelet (403 naming nodes/checkpoint), and the
 * endpoints kcr uses: POST /checkpoint/{ns}/{pod}/{container}, GET /configz and GET /pods.
 * Checkpoints write a real archive (a fixture) into the node's directory.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { CONTAINERD_REAL_ARCHIVE, fixture } from '../fixtures.js';
import type { ClusterState, FakeNode, KubeletFailure } from './cluster-state.js';
import type { Pem } from '../pki.js';

export const FIXTURE_ARCHIVE = fixture(
  'crio',
  'checkpoint-webserver_default-webserver-2026-11-28T16:01:40Z.tar',
);

export interface Caller {
  user: string;
  groups: string[];
}

/** Client identity from a verified certificate (CN user, O groups) or a known bearer token. */
export function callerOf(req: IncomingMessage, state: ClusterState): Caller | undefined {
  const socket = req.socket as TLSSocket;
  // A socket that closed under the request has no peer certificate any more: fall through to the token.
  const subject = socket.authorized
    ? (socket.getPeerCertificate().subject as unknown as
        Record<string, string | string[] | undefined> | undefined)
    : undefined;
  if (subject) {
    const o = subject.O;
    return { user: String(subject.CN), groups: o === undefined ? [] : Array.isArray(o) ? o : [o] };
  }
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  const user = token ? state.tokens.get(token) : undefined;
  if (user) return { user, groups: state.users.get(user)?.groups ?? [] };
  return undefined;
}

function failureText(
  f: KubeletFailure,
  ns: string,
  pod: string,
  ctr: string,
): { status: number; body: string } {
  if (typeof f === 'object') return f;
  const prefix = `checkpointing of ${ns}/${pod}/${ctr} failed`;
  const id = 'f1b80df6d2c8566ab5d27fc270aa316e9e503fd9817b67669e6a00d8f07fa743';
  const causes: Record<typeof f, string> = {
    'cri-v1-only': 'CheckpointContainer is only supported in the CRI v1 runtime API',
    'no-criu': 'rpc error: code = Unknown desc = checkpoint/restore support not available',
    'tcp-established':
      `rpc error: code = Unknown desc = failed to checkpoint container ${id}: running "/usr/bin/runc" checkpoint --file-locks ` +
      `--image-path /var/lib/containers/storage/overlay-containers/${id}/userdata/checkpoint --work-path ` +
      `/var/lib/containers/storage/overlay-containers/${id}/userdata --leave-running ${id} failed: criu failed: type NOTIFY errno 0\n` +
      `log file: /var/lib/containers/storage/overlay-containers/${id}/userdata/dump.log: ` +
      '(00.012473) Error (criu/sk-inet.c:191): inet: Connected TCP socket, consider using --tcp-established option.',
    deadline: 'rpc error: code = DeadlineExceeded desc = context deadline exceeded',
    'runtime-not-found': `rpc error: code = NotFound desc = could not find container "${ctr}": container with ID starting with ${ctr} not found`,
  };
  return { status: 500, body: `${prefix} (${causes[f]})` };
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(body);
}

export class FakeKubelet {
  private server: https.Server | undefined;
  inFlight = 0;
  maxInFlight = 0;
  /** Every checkpoint call, by caller, in arrival order. */
  readonly calls: { path: string; user: string; timeout?: string }[] = [];
  /** Awaited inside each checkpoint call; tests use it to hold calls open. */
  gate: (() => Promise<void>) | undefined;
  /** Awaited inside each /configz call, likewise. */
  configzGate: (() => Promise<void>) | undefined;
  /**
   * Which archive a checkpoint of (namespace, pod, container) produces: by default what the node's
   * runtime writes, a real containerd 2.3 archive on a `containerd://` node, else a CRI-O one.
   */
  archiveFor: (ns: string, pod: string, container: string) => string = () =>
    this.node.runtime.startsWith('containerd://') ? fixture(CONTAINERD_REAL_ARCHIVE) : FIXTURE_ARCHIVE;

  constructor(
    private readonly state: ClusterState,
    readonly node: FakeNode,
    private readonly serving: Pem,
    private readonly ca: string,
  ) {}

  async start(): Promise<number> {
    this.server = https.createServer(
      {
        cert: this.serving.cert,
        key: this.serving.key,
        ca: this.ca,
        requestCert: true,
        rejectUnauthorized: false,
      },
      (req, res) => void this.handle(req, res).catch((err: unknown) => text(res, 500, String(err))),
    );
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.node.kubeletPort = (this.server.address() as AddressInfo).port;
    return this.node.kubeletPort;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const caller = callerOf(req, this.state);
    if (!caller) return text(res, 401, 'Unauthorized');
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] === 'checkpoint' && parts.length === 4 && this.node.checkpointRoute) {
      if (req.method !== 'POST') return text(res, 405, 'Method Not Allowed');
      return this.checkpoint(res, caller, url, parts[1]!, parts[2]!, parts[3]!);
    }
    if (url.pathname === '/configz' && req.method === 'GET') {
      await this.configzGate?.();
      const config = {
        kind: 'KubeletConfiguration',
        apiVersion: 'kubelet.config.k8s.io/v1beta1',
        enableDebuggingHandlers: true,
        featureGates: this.node.featureGates,
      };
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ kubeletconfig: config }));
      return;
    }
    if (url.pathname === '/pods' && req.method === 'GET') {
      const items = this.state.podsOn(this.node.name);
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items }));
      return;
    }
    text(res, 404, '404 page not found');
  }

  private async checkpoint(
    res: ServerResponse,
    caller: Caller,
    url: URL,
    ns: string,
    podName: string,
    container: string,
  ): Promise<void> {
    if (!caller.groups.includes('system:masters') && !this.node.checkpointUsers.has(caller.user)) {
      return text(
        res,
        403,
        `Forbidden (user=${caller.user}, verb=create, resource=nodes, subresource(s)=[checkpoint])`,
      );
    }
    const timeout = url.searchParams.getAll('timeout').at(-1);
    this.calls.push({ path: url.pathname, user: caller.user, ...(timeout === undefined ? {} : { timeout }) });
    if (timeout !== undefined && !/^-?\d+$/.test(timeout))
      return text(res, 404, 'cannot parse value of timeout parameter');
    const pod = this.state
      .podsOn(this.node.name)
      .find((p) => p.metadata.namespace === ns && p.metadata.name === podName);
    if (!pod) return text(res, 404, 'pod does not exist');
    if (!pod.spec.containers.some((c) => c.name === container))
      return text(res, 404, `container ${container} does not exist`);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.gate?.();
      const failure = this.node.failures.shift() ?? this.node.alwaysFail;
      if (failure) {
        const f = failureText(failure, ns, podName, container);
        return text(res, f.status, f.body);
      }
      const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const dir = `${this.node.kubeletRootDir}/checkpoints`;
      const nodePath = `${dir}/checkpoint-${podName}_${ns}-${container}-${stamp}.tar`;
      await mkdir(join(this.node.root, dir), { recursive: true, mode: 0o700 });
      await copyFile(this.archiveFor(ns, podName, container), join(this.node.root, nodePath));
      // The kubelet writes the path into the JSON without escaping; kcr must parse it as JSON all the same.
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(`{"items":["${nodePath}"]}`);
    } finally {
      this.inFlight--;
    }
  }
}
