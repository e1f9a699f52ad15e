/**
 * A real registry for tests: Debian's `docker-registry` (distribution 2.8) on 127.0.0.1 and a free
 * port, plain or with htpasswd auth and TLS from a CA made for the test. `stop()` kills it and
 * removes every file it made.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
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

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`docker-registry did not listen on ${port}: ${log()}`);
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
  port: number,
  tls?: TestCa,
  htpasswd?: string,
  token?: RegistryStartOptions['token'],
): string {
  return [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
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
    const port = await freePort();
    const config = join(dir, 'config.yml');
    await writeFile(config, configYaml(dir, port, ca, htpasswd, options.token));
    let output = '';
    child = spawn(binary, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitForPort(port, child, () => output);
    const proc = child;
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
        if (proc.exitCode === null) {
          const exited = new Promise((r) => proc.once('exit', r));
          proc.kill('SIGTERM');
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
