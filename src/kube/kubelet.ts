/**
 * Two ways to reach a kubelet's secure port: through the API server's node proxy (needs only a
 * kubeconfig) or directly with a client certificate, which is the seed's curl made safe.
 */
import { readFile } from 'node:fs/promises';
import type https from 'node:https';
import type { V1Node } from '@kubernetes/client-node';
import { fileError, KcrError } from '../errors.js';
import type { KubeClient } from './client.js';
import { httpRequest, type HttpResponse } from './http.js';

export type KubeletVia = 'apiserver' | 'kubelet';

export const KUBELET_TLS_HINT =
  "the kubelet's serving certificate is not trusted: pass its CA with --ca-cert (kubelets without serverTLSBootstrap " +
  'sign their own: /var/lib/kubelet/pki/kubelet.crt), or --insecure to skip verification';

/**
 * The hint for a TLS failure talking to a kubelet directly. A certificate for another name is the
 * usual case with an address: kubelets' serving certificates (self-signed ones in particular) are
 * issued for the node's hostname, while kcr defaults to the node's InternalIP.
 */
export function kubeletTlsHint(server: string, node?: string): (code: string) => string {
  return (code) => {
    if (code !== 'ERR_TLS_CERT_ALTNAME_INVALID') return KUBELET_TLS_HINT;
    const port = new URL(server).port || '10250';
    const example = node ? ` (often https://${node}:${port})` : '';
    return (
      `the kubelet's serving certificate is not issued for ${new URL(server).hostname}: kubelet certificates name the ` +
      `node's hostname, so pass --kubelet-url https://<node hostname>:${port}${example}, with its CA in --ca-cert`
    );
  };
}

export interface KubeletRequest {
  method: 'GET' | 'POST';
  /** Kubelet path, e.g. `/checkpoint/default/web/web` or `/configz`. */
  path: string;
  query?: Record<string, string | undefined>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Largest answer accepted (default: http.ts's 4 MiB). */
  maxBodyBytes?: number;
}

export interface KubeletEndpoint {
  readonly via: KubeletVia;
  readonly node: string;
  /** Where requests go, for messages: the API server URL or the kubelet URL. */
  readonly server: string;
  request(req: KubeletRequest): Promise<HttpResponse>;
}

/** `POST /api/v1/nodes/{node}/proxy/...`: the API server forwards to the kubelet with its own identity. */
export class ProxiedKubelet implements KubeletEndpoint {
  readonly via = 'apiserver';
  constructor(
    private readonly client: KubeClient,
    readonly node: string,
  ) {}

  get server(): string {
    return this.client.server;
  }

  request(req: KubeletRequest): Promise<HttpResponse> {
    const path = `/api/v1/nodes/${encodeURIComponent(this.node)}/proxy${req.path}`;
    return this.client.raw(req.method, path, req);
  }
}

export interface KubeletTlsOptions {
  /** PEM client certificate the kubelet's client CA signed (kubeadm: apiserver-kubelet-client.crt). */
  clientCert?: string;
  clientKey?: string;
  /** CA for the kubelet's serving certificate (often self-signed: /var/lib/kubelet/pki/kubelet.crt). */
  caCert?: string;
  /** Skip verifying the kubelet's serving certificate. */
  insecure?: boolean;
  /**
   * A bearer token file instead of a client certificate: the node agent's service-account token,
   * which the kubelet checks with a TokenReview and authorizes for `nodes/checkpoint`. Read for
   * every request, because projected tokens are rotated while the agent runs.
   */
  tokenFile?: string;
}

async function readPem(path: string | undefined, flag: string): Promise<Buffer | undefined> {
  if (path === undefined) return undefined;
  try {
    return await readFile(path);
  } catch (err) {
    const e = fileError(path, err);
    throw new KcrError(e.code, `${flag} ${e.message}`, { hint: e.hint, cause: err });
  }
}

/** `https://<node>:10250/...` with a client certificate; TLS is verified unless insecure is set. */
export class DirectKubelet implements KubeletEndpoint {
  readonly via = 'kubelet';
  private constructor(
    readonly node: string,
    private readonly base: URL,
    private readonly tls: https.RequestOptions,
    private readonly tokenFile?: string,
  ) {}

  static async create(node: string, url: string, options: KubeletTlsOptions): Promise<DirectKubelet> {
    let base: URL;
    try {
      base = new URL(url);
    } catch {
      throw new KcrError('usage', `--kubelet-url ${url}: not a URL`, {
        hint: 'for example https://10.0.0.5:10250',
      });
    }
    if (base.protocol !== 'https:') {
      throw new KcrError('usage', `--kubelet-url ${url}: the kubelet's checkpoint endpoint is HTTPS only`, {
        hint: 'use https://<node>:10250',
      });
    }
    if (Boolean(options.clientCert) !== Boolean(options.clientKey)) {
      throw new KcrError('usage', '--client-cert and --client-key go together', {
        hint: 'kubeadm: /etc/kubernetes/pki/apiserver-kubelet-client.crt and .key',
      });
    }
    const tls: https.RequestOptions = {
      cert: await readPem(options.clientCert, '--client-cert'),
      key: await readPem(options.clientKey, '--client-key'),
      ca: await readPem(options.caCert, '--ca-cert'),
      rejectUnauthorized: !options.insecure,
    };
    return new DirectKubelet(node, base, tls, options.tokenFile);
  }

  get server(): string {
    return this.base.origin;
  }

  async request(req: KubeletRequest): Promise<HttpResponse> {
    const url = new URL(this.base.origin + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const token = this.tokenFile ? (await readPem(this.tokenFile, '--kubelet-token-file'))! : undefined;
    return httpRequest({
      method: req.method,
      url,
      options: token
        ? { ...this.tls, headers: { Authorization: `Bearer ${token.toString('utf8').trim()}` } }
        : this.tls,
      timeoutMs: req.timeoutMs,
      signal: req.signal,
      ...(req.maxBodyBytes ? { maxBodyBytes: req.maxBodyBytes } : {}),
    });
  }
}

/** The kubelet URL the API server itself would use: the node's InternalIP and kubelet port. */
export function kubeletUrlForNode(node: V1Node): string | undefined {
  const addresses = node.status?.addresses ?? [];
  const address =
    addresses.find((a) => a.type === 'InternalIP')?.address ??
    addresses.find((a) => a.type === 'Hostname')?.address ??
    addresses.find((a) => a.type === 'ExternalIP')?.address;
  if (!address) return undefined;
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 10250;
  const host = address.includes(':') ? `[${address}]` : address;
  return `https://${host}:${port}`;
}
