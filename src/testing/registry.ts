/**
 * A real registry for tests: Debian's `docker-registry` (distribution 2.8) on 127.0.0.1 and a free
 * port, plain or with htpasswd auth and TLS from a CA made for the test. `stop()` kills it and
 * removes every file it made.
 *
 * The registry picks its own port (`addr: 127.0.0.1:0`) and logs it: choosing a free port here and
 * handing it over would race with every other test process doing the same, and the loser's
 * registry would exit while the winner's answered in its place. Before it is handed out, the
 * registry is asked `GET /v2/` and must answer as configured (scheme, auth challenge) while its
 * process is still alive; a registry that exits while starting is started again.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { makeTestCa, type TestCa } from './tls.js';

export interface TestRegistry {
  /** `127.0.0.1:<port>` */
  host: string;
  dir: string;
  tls: boolean;
  /** The CA that signed the registry's certificate (TLS registries only). */
  ca?: TestCa;
  username?: string;
  password?: string;
  /** Where the registry keeps a blob's bytes (tests corrupt it there). */
  blobFile(digest: string): string;
  stop(): Promise<void>;
}

export interface RegistryStartOptions {
  tls?: boolean;
  /** htpasswd (Basic) auth with this one user. */
  auth?: { username: string; password: string };
  /** Bearer token auth against a token server (see token-server.ts). */
  token?: { realm: string; service: string; issuer: string; certFile: string };
}

export function registryBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v docker-registry'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (!path)
    throw new Error('docker-registry is not installed: run `apt-get install docker-registry` (or .ci/run)');
  return path;
}

const START_ATTEMPTS = 3;
const START_TIMEOUT_MS = 15_000;
/** Enough of the registry's log to explain a failure, without keeping every request's line. */
const LOG_TAIL = 64 * 1024;

class RegistryExited extends Error {}

/** Resolves with the port once the registry logs `listening on 127.0.0.1:<port>`. */
function listeningPort(child: ChildProcess, log: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(`docker-registry did not start listening within ${START_TIMEOUT_MS / 1000} s: ${log()}`),
      );
    }, START_TIMEOUT_MS);
    const onData = () => {
      const port = /listening on 127\.0\.0\.1:(\d+)/.exec(log())?.[1];
      if (port) {
        cleanup();
        resolve(Number(port));
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new RegistryExited(`docker-registry exited with ${code} while starting: ${log()}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    if (child.exitCode !== null) onExit(child.exitCode);
    else onData();
  });
}

/** `GET /v2/` with no credentials: status and auth challenge. */
function pingV2(
  port: number,
  ca: TestCa | undefined,
): Promise<{ status: number; challenge: string; api: string }> {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, path: '/v2/', method: 'GET', timeout: 5_000 };
    const req = ca ? httpsRequest({ ...options, ca: readFileSync(ca.caCert) }) : httpRequest(options);
    req.on('response', (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          challenge: String(res.headers['www-authenticate'] ?? ''),
          api: String(res.headers['docker-distribution-api-version'] ?? ''),
        }),
      );
    });
    req.on('timeout', () => req.destroy(new Error('GET /v2/ timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Checks that what answers on `port` is the registry as configured, and that our process is still it. */
async function checkAnswer(port: number, child: ChildProcess, options: RegistryStartOptions, ca?: TestCa) {
  const got = await pingV2(port, ca);
  const challenge = options.auth
    ? 'Basic realm="kcr-test"'
    : options.token
      ? `Bearer realm="${options.token.realm}"`
      : '';
  const status = options.auth || options.token ? 401 : 200;
  const fits =
    got.api === 'registry/2.0' &&
    got.status === status &&
    (challenge ? got.challenge.startsWith(challenge) : got.challenge === '');
  if (!fits) {
    throw new Error(
      `127.0.0.1:${port} did not answer GET /v2/ as the registry just started would ` +
        `(status ${got.status}, challenge ${JSON.stringify(got.challenge)}, api ${JSON.stringify(got.api)})`,
    );
  }
  if (child.exitCode !== null || child.signalCode !== null)
    throw new RegistryExited(`docker-registry exited after answering on ${port}`);
}

function authYaml(htpasswd?: string, token?: RegistryStartOptions['token']): string[] {
  if (htpasswd) return ['auth:', '  htpasswd:', '    realm: kcr-test', `    path: ${htpasswd}`];
  if (!token) return [];
  return [
    'auth:',
    '  token:',
    `    realm: ${token.realm}`,
    `    service: ${token.service}`,
    `    issuer: ${token.issuer}`,
    `    rootcertbundle: ${token.certFile}`,
  ];
}

function configYaml(
  dir: string,
  tls?: TestCa,
  htpasswd?: string,
  token?: RegistryStartOptions['token'],
): string {
  return [
    'version: 0.1',
    'log:',
    // info: the registry logs the port it picked ("listening on 127.0.0.1:<port>").
    '  level: info',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    '  addr: 127.0.0.1:0',
    '  secret: kcr-test-secret',
    ...(tls ? ['  tls:', `    certificate: ${tls.serverCert}`, `    key: ${tls.serverKey}`] : []),
    ...authYaml(htpasswd, token),
    '',
  ].join('\n');
}

export async function startRegistry(options: RegistryStartOptions = {}): Promise<TestRegistry> {
  const binary = registryBinary();
  const dir = await mkdtemp(join(tmpdir(), 'kcr-registry-'));
  let child: ChildProcess | undefined;
  try {
    const ca = options.tls ? await makeTestCa(join(dir, 'tls')) : undefined;
    let htpasswd: string | undefined;
    if (options.auth) {
      htpasswd = join(dir, 'htpasswd');
      await writeFile(htpasswd, `${options.auth.username}:${bcrypt.hashSync(options.auth.password, 6)}\n`);
    }
    const config = join(dir, 'config.yml');
    await writeFile(config, configYaml(dir, ca, htpasswd, options.token));
    let proc: ChildProcess | undefined;
    let port = 0;
    for (let attempt = 1; !proc; attempt++) {
      let output = '';
      const started = spawn(binary, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = started;
      const keep = (d: Buffer) => {
        output = (output + d.toString()).slice(-LOG_TAIL);
      };
      started.stdout?.on('data', keep);
      started.stderr?.on('data', keep);
      try {
        port = await listeningPort(started, () => output);
        await checkAnswer(port, started, options, ca);
        proc = started;
      } catch (err) {
        started.kill('SIGKILL');
        if (!(err instanceof RegistryExited) || attempt >= START_ATTEMPTS) throw err;
      }
    }
    const running = proc;
    return {
      host: `127.0.0.1:${port}`,
      dir,
      tls: Boolean(ca),
      ...(ca ? { ca } : {}),
      ...(options.auth ? { username: options.auth.username, password: options.auth.password } : {}),
      blobFile: (digest) => {
        const hex = digest.replace(/^sha256:/, '');
        return join(dir, 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
      },
      stop: async () => {
        if (running.exitCode === null) {
          const exited = new Promise((r) => running.once('exit', r));
          running.kill('SIGTERM');
          await exited;
        }
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    child?.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
