/**
 * A Kubernetes API server for tests: real HTTPS, client-certificate or bearer-token
 * authentication, RBAC answers with the real wording, and the REST paths kcr uses (pods, nodes,
 * services, events, SelfSubjectAccessReview, /version), the node proxy that forwards to each
 * fake kubelet with the API server's own client certificate, and exec over WebSocket.
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { parse } from 'yaml';
import type { ClusterState } from './cluster-state.js';
import { serveExec, type ExecHooks, type ExecRecord } from './exec-server.js';
import { callerOf, type Caller } from './kubelet-server.js';
import { statusBody, type StatusBody } from './objects.js';
import type { Pem } from '../pki.js';
import { route, type Handled } from './api-routes.js';
import type { WatchStream } from './watch.js';

export interface ApiServerOptions {
  state: ClusterState;
  serving: Pem;
  ca: string;
  /** The identity the API server presents to kubelets (kubeadm: apiserver-kubelet-client); tests may swap it. */
  kubeletClient: Pem;
}

export interface RequestRecord {
  method: string;
  path: string;
  user: string;
}

export class FakeApiServer {
  private server: https.Server | undefined;
  private readonly wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => this.pickProtocol(offered) ?? false,
  });
  readonly requests: RequestRecord[] = [];
  readonly execs: ExecRecord[] = [];
  readonly execHooks: ExecHooks = {};
  /** Subprotocols this server speaks, best first; tests drop v5 to exercise the v4 fallback. */
  execProtocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
  url = '';
  /** Open watches: a restart cuts them, expireHistory ends them. */
  readonly watches = new Set<WatchStream>();

  constructor(private readonly o: ApiServerOptions) {}

  /** Present another client certificate to kubelets (e.g. one without nodes/checkpoint rights). */
  useKubeletIdentity(pem: Pem): void {
    this.o.kubeletClient = pem;
  }

  get state(): ClusterState {
    return this.o.state;
  }

  /** `port`: listen there again (a restart keeps the URL every kubeconfig names). */
  async start(port = 0): Promise<string> {
    this.server = https.createServer(
      {
        cert: this.o.serving.cert,
        key: this.o.serving.key,
        ca: this.o.ca,
        requestCert: true,
        rejectUnauthorized: false,
      },
      (req, res) => void this.handle(req, res),
    );
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
      this.upgrade(req, socket, head),
    );
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  /**
   * Stops and starts the API server as a restart does: the state (etcd) stays, every connection
   * (watches included) is cut mid-stream, and for `downMs` nothing answers on the port.
   * `expireHistory` also forgets the history, as a new watch cache would: clients resuming
   * from an old resourceVersion then get 410 Expired and must list again.
   */
  async restart(options: { downMs?: number; expireHistory?: boolean } = {}): Promise<void> {
    const port = Number(new URL(this.url).port);
    await this.close();
    if (options.expireHistory) this.state.history.compact();
    if (options.downMs) await new Promise((resolve) => setTimeout(resolve, options.downMs));
    await this.start(port);
  }

  /**
   * Forgets the history (an etcd compaction) and ends every open watch cleanly, as a watch
   * timeout does: clients re-watch from the version they had and get 410 Expired.
   */
  expireHistory(): void {
    this.state.history.compact();
    for (const w of [...this.watches]) w.end();
  }

  /** A BOOKMARK now on every open watch that allows them (instead of waiting a minute). */
  sendBookmarks(): void {
    for (const w of this.watches) w.bookmarkNow();
  }

  close(): Promise<void> {
    this.watches.clear();
    for (const client of this.wss.clients) client.terminate();
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private pickProtocol(offered: Set<string>): string | undefined {
    return this.execProtocols.find((p) => offered.has(p));
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const caller = callerOf(req, this.state);
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      user: caller?.user ?? 'system:anonymous',
    });
    if (!caller) return this.send(res, 401, statusBody(401, 'Unauthorized'));
    try {
      const body = req.method === 'GET' ? undefined : await readBody(req);
      const handled: Handled = await route({
        state: this.state,
        caller,
        method: req.method ?? 'GET',
        url,
        body,
        ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
        kubeletClient: this.o.kubeletClient,
        ca: this.o.ca,
        watches: this.watches,
        serverAddress: url.host,
      });
      if ('stream' in handled) handled.stream(req, res);
      else if ('raw' in handled) {
        res.writeHead(handled.status, { 'Content-Type': handled.contentType }).end(handled.raw);
      } else this.send(res, handled.status, handled.body);
    } catch (err) {
      this.send(res, 500, statusBody(500, err instanceof Error ? err.message : String(err)));
    }
  }

  private reject(socket: Socket, status: number, body: StatusBody): void {
    const text = JSON.stringify(body);
    socket.end(
      `HTTP/1.1 ${status} ${body.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
    );
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const caller: Caller | undefined = callerOf(req, this.state);
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({ method: 'GET', path: url.pathname, user: caller?.user ?? 'system:anonymous' });
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(url.pathname);
    if (!caller) return this.reject(socket, 401, statusBody(401, 'Unauthorized'));
    if (!m)
      return this.reject(socket, 404, statusBody(404, 'the server could not find the requested resource'));
    const [ns, name] = [decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)];
    const user = this.state.users.get(caller.user) ?? { name: caller.user, groups: caller.groups, rules: [] };
    if (
      !this.state.allows(
        { ...user, groups: caller.groups.length ? caller.groups : user.groups },
        'create',
        'pods/exec',
        ns,
      )
    ) {
      return this.reject(
        socket,
        403,
        statusBody(
          403,
          `pods "${name}" is forbidden: User "${caller.user}" cannot create resource "pods/exec" in API group "" in the namespace "${ns}"`,
        ),
      );
    }
    const pod = this.state.pods.get(`${ns}/${name}`);
    if (!pod) return this.reject(socket, 404, statusBody(404, `pods "${name}" not found`));
    const container = url.searchParams.get('container') ?? pod.spec.containers[0]!.name;
    const node = this.state.nodes.get(pod.spec.nodeName ?? '');
    if (!node || pod.status.phase !== 'Running') {
      return this.reject(
        socket,
        400,
        statusBody(400, `unable to upgrade connection: container not found ("${container}")`),
      );
    }
    const offered = new Set((req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()));
    const protocol = this.pickProtocol(offered);
    if (!protocol)
      return this.reject(
        socket,
        400,
        statusBody(400, 'unable to upgrade connection: no supported stream protocol offered'),
      );
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const record: ExecRecord = {
        pod: `${ns}/${name}`,
        container,
        command: url.searchParams.getAll('command'),
        protocol,
        closedByClient: [],
        closed: new Promise<void>((resolve) => ws.once('close', () => resolve())),
      };
      this.execs.push(record);
      void serveExec(ws, pod, node, record, this.execHooks);
    });
  }
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        // Server-side apply sends YAML; JSON is YAML, so one parser reads both.
        const yaml = /yaml/.test(req.headers['content-type'] ?? '');
        resolve(text ? (yaml ? parse(text) : JSON.parse(text)) : undefined);
      } catch (err) {
        reject(err);
      }
    });
    req.on('error', reject);
  });
}
