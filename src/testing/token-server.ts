/**
 * A Bearer token server for tests, speaking the distribution token spec: GET /token?service=…&scope=…
 * with optional Basic credentials answers a JWT (RS256, `x5c` header with its certificate) that
 * docker-registry verifies against its `rootcertbundle`. Anonymous callers get pull access only.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createSign, randomUUID, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  /** The certificate docker-registry trusts for token signatures. */
  certFile: string;
  /** Scopes asked for, in order, with who asked ('' for anonymous). */
  readonly requests: { user: string; scopes: string[] }[];
  close(): Promise<void>;
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

interface Access {
  type: string;
  name: string;
  actions: string[];
}

/** A JWT as docker-registry wants it: RS256, the signing certificate in `x5c`, `access` claims. */
function signToken(
  signer: { key: KeyObject; certDer: Buffer; issuer: string; service: string },
  subject: string,
  access: Access[],
): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { typ: 'JWT', alg: 'RS256', x5c: [signer.certDer.toString('base64')] };
  const claims = {
    iss: signer.issuer,
    sub: subject,
    aud: signer.service,
    exp: now + 300,
    nbf: now - 10,
    iat: now - 10,
    jti: randomUUID(),
    access,
  };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(createSign('RSA-SHA256').update(input).sign(signer.key))}`;
}

export async function startTokenServer(
  dir: string,
  user: { username: string; password: string },
): Promise<TokenServer> {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'token.key',
      '-out',
      'token.crt',
      '-days',
      '2',
      '-subj',
      '/CN=kcr test token signer',
    ],
    {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const certFile = join(dir, 'token.crt');
  const key = createPrivateKey(readFileSync(join(dir, 'token.key')));
  const certDer = new X509Certificate(readFileSync(certFile)).raw;
  const service = 'kcr-test-registry';
  const issuer = 'kcr-test-issuer';
  const requests: TokenServer['requests'] = [];

  const sign = (subject: string, access: Access[]) =>
    signToken({ key, certDer, issuer, service }, subject, access);

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const auth = req.headers.authorization;
    let who = '';
    if (auth?.startsWith('Basic ')) {
      const [u, ...rest] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
      if (u !== user.username || rest.join(':') !== user.password) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"invalid credentials"}');
        return;
      }
      who = u;
    }
    const scopes = url.searchParams.getAll('scope');
    requests.push({ user: who, scopes });
    const access = scopes.map((s) => {
      const [type, name, actions] = s.split(':') as [string, string, string];
      const wanted = actions.split(',');
      return { type, name, actions: who ? wanted : wanted.filter((a) => a === 'pull') };
    });
    const token = sign(who, access);
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ token, access_token: token, expires_in: 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certFile,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
