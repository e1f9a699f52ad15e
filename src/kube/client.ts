/**
 * The API server, through @kubernetes/client-node: typed APIs for objects, plus raw requests
 * (node proxy) and WebSocket options (exec) that carry the same kubeconfig credentials.
 */
import type https from 'node:https';
import {
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  VersionApi,
  type KubeConfig,
} from '@kubernetes/client-node';
import { loadKubeconfig, type KubeconfigOptions } from './kubeconfig.js';
import { httpRequest, type HttpResponse } from './http.js';

export class KubeClient {
  readonly core: CoreV1Api;
  readonly authz: AuthorizationV1Api;
  readonly version: VersionApi;
  /** Objects of any API group by group/version/plural (CRDs, and built-ins such as podcheckpoints). */
  readonly custom: CustomObjectsApi;

  constructor(
    readonly kc: KubeConfig,
    /** The namespace of the current context, used when -n is not given. */
    readonly defaultNamespace: string,
    readonly server: string,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.authz = kc.makeApiClient(AuthorizationV1Api);
    this.version = kc.makeApiClient(VersionApi);
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  static fromKubeconfig(options: KubeconfigOptions = {}): KubeClient {
    const loaded = loadKubeconfig(options);
    return new KubeClient(loaded.kc, loaded.namespace, loaded.server);
  }

  /** TLS options, agent and Authorization header for a request to the API server. */
  async requestOptions(): Promise<https.RequestOptions> {
    const opts: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(opts);
    return opts;
  }

  /** The API server URL for `path` (which starts with `/`), keeping any path prefix of the server. */
  url(path: string, query: Record<string, string | string[] | undefined> = {}): URL {
    const url = new URL(this.server.replace(/\/+$/, '') + path);
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(key, v);
    }
    return url;
  }

  async raw(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    options: {
      query?: Record<string, string | undefined>;
      timeoutMs: number;
      signal?: AbortSignal;
      maxBodyBytes?: number;
      /** A JSON body, for objects the generated client would strip fields of (new alpha fields). */
      json?: unknown;
      /** The media type of `json` when not application/json (a merge patch, a server-side apply). */
      contentType?: string;
    },
  ): Promise<HttpResponse> {
    return httpRequest({
      method,
      url: this.url(path, options.query),
      options: await this.requestOptions(),
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
      ...(options.json === undefined ? {} : { json: options.json }),
      ...(options.contentType ? { contentType: options.contentType } : {}),
    });
  }
}
