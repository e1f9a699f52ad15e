/**
 * Loading the user's kubeconfig the way kubectl does: `--kubeconfig`, else every file in
 * KUBECONFIG (the first file that names a thing wins), else ~/.kube/config, else the in-cluster
 * service account. The environment is passed in so that tests and the server never read globals.
 */
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KcrError } from '../errors.js';

export interface KubeconfigOptions {
  /** `--kubeconfig`: one file, which beats KUBECONFIG. */
  kubeconfig?: string;
  /** `--context`: a context name from the kubeconfig. */
  context?: string;
  /** The environment to read KUBECONFIG, HOME and KUBERNETES_SERVICE_HOST/PORT from (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where the pod's service account is mounted (token, ca.crt, namespace); tests point it elsewhere. */
  serviceAccountDir?: string;
}

export interface LoadedKubeconfig {
  kc: KubeConfig;
  context: string;
  /** The namespace the context names, or `default`. */
  namespace: string;
  server: string;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

function loadFile(path: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(path);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT') {
      throw new KcrError('not-found', `${path}: no such kubeconfig file`, {
        hint: 'pass an existing file with --kubeconfig, or fix KUBECONFIG',
        cause: err,
      });
    }
    // client-node reads an empty file, or YAML that is not a mapping, as undefined and fails on
    // it with a TypeError ("cannot read properties of undefined"): that is no message for a user.
    const detail =
      err instanceof TypeError
        ? 'it is empty, or not a YAML mapping of clusters, users and contexts'
        : err instanceof Error
          ? err.message.split('\n')[0]!.toLowerCase()
          : String(err);
    throw new KcrError('invalid-input', `${path}: not a valid kubeconfig: ${detail}`, {
      hint: `check it with \`kubectl config view --kubeconfig ${path}\`, or pass another file with --kubeconfig`,
      cause: err,
    });
  }
  return kc;
}

/** kubectl's merge rule: the first file to define a cluster, user, context or current-context wins. */
function mergeFirstWins(into: KubeConfig, other: KubeConfig): void {
  if (!into.currentContext && other.currentContext) into.currentContext = other.currentContext;
  for (const c of other.clusters) if (!into.getCluster(c.name)) into.addCluster(c);
  for (const u of other.users) if (!into.getUser(u.name)) into.addUser(u);
  for (const x of other.contexts) if (!into.getContextObject(x.name)) into.addContext(x);
}

/** Which files kubectl would read for this environment; empty means "in-cluster or nothing". */
export function kubeconfigFiles(options: KubeconfigOptions): string[] {
  if (options.kubeconfig) return [options.kubeconfig];
  const env = options.env ?? process.env;
  const list = (env.KUBECONFIG ?? '').split(delimiter).filter((f) => f !== '');
  if (list.length > 0) return list;
  const home = env.HOME ?? env.USERPROFILE;
  if (home) {
    const path = join(home, '.kube', 'config');
    if (existsSync(path)) return [path];
  }
  return [];
}

/**
 * kubectl's (client-go's) rule for running inside a pod: the API server's address is in
 * KUBERNETES_SERVICE_HOST/PORT and the service account token is mounted.
 */
function inCluster(options: KubeconfigOptions): boolean {
  const env = options.env ?? process.env;
  const dir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  return Boolean(env.KUBERNETES_SERVICE_HOST) && existsSync(join(dir, 'token'));
}

/** True when a kubeconfig (or in-cluster credentials) is available, without loading it. */
export function hasKubeconfig(options: KubeconfigOptions): boolean {
  return kubeconfigFiles(options).length > 0 || inCluster(options);
}

/**
 * The service account as a kubeconfig. client-node's loadFromCluster reads process.env and a fixed
 * path; this takes both from the options. The token is a file the client re-reads, because
 * kubelets rotate bound tokens.
 */
function fromServiceAccount(options: KubeconfigOptions): KubeConfig {
  const env = options.env ?? process.env;
  const dir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const host = env.KUBERNETES_SERVICE_HOST!;
  const port = env.KUBERNETES_SERVICE_PORT || '443';
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let namespace: string | undefined;
  try {
    namespace = readFileSync(join(dir, 'namespace'), 'utf8').trim() || undefined;
  } catch {
    namespace = undefined; // kubectl falls back to `default` as well
  }
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'in-cluster', server, caFile: join(dir, 'ca.crt'), skipTLSVerify: false }],
    users: [
      {
        name: 'service-account',
        authProvider: { name: 'tokenFile', config: { tokenFile: join(dir, 'token') } },
      },
    ],
    contexts: [{ name: 'in-cluster', cluster: 'in-cluster', user: 'service-account', namespace }],
    currentContext: 'in-cluster',
  });
  return kc;
}

export function loadKubeconfig(options: KubeconfigOptions = {}): LoadedKubeconfig {
  const files = kubeconfigFiles(options);
  let kc: KubeConfig;
  if (files.length > 0) {
    // KUBECONFIG may list files that do not exist; kubectl skips them, and so do we.
    const present = options.kubeconfig ? files : files.filter((f) => existsSync(f));
    if (present.length === 0) {
      throw new KcrError('not-found', `no kubeconfig: none of ${files.join(', ')} exists`, {
        hint: 'set KUBECONFIG or pass --kubeconfig',
      });
    }
    kc = loadFile(present[0]!);
    for (const file of present.slice(1)) mergeFirstWins(kc, loadFile(file));
  } else if (inCluster(options)) {
    kc = fromServiceAccount(options);
  } else {
    throw new KcrError('not-found', 'no kubeconfig found', {
      hint: 'pass --kubeconfig FILE, set KUBECONFIG, or create ~/.kube/config (kubeadm: /etc/kubernetes/admin.conf)',
    });
  }
  if (options.context) {
    if (!kc.getContextObject(options.context)) {
      const known = kc.contexts.map((c) => c.name).join(', ') || 'none';
      throw new KcrError('not-found', `context "${options.context}" not found in the kubeconfig`, {
        hint: `known contexts: ${known}`,
      });
    }
    kc.setCurrentContext(options.context);
  }
  const context = kc.getCurrentContext();
  const contextObject = context ? kc.getContextObject(context) : null;
  const cluster = kc.getCurrentCluster();
  if (!contextObject || !cluster) {
    throw new KcrError('invalid-input', 'the kubeconfig has no current context', {
      hint: 'pick one with --context NAME or `kubectl config use-context NAME`',
    });
  }
  return { kc, context, namespace: contextObject.namespace || 'default', server: cluster.server };
}
