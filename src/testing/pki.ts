/**
 * A throwaway PKI for the test cluster, made with the openssl CLI (Node cannot issue X.509
 * certificates): one CA, serving certificates for localhost, and client certificates whose
 * subject is what Kubernetes reads as identity (CN = user, O = groups).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Pem {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
}

export class TestPki {
  private counter = 0;
  private constructor(
    readonly dir: string,
    readonly ca: Pem,
  ) {}

  static async create(dir: string, name = 'kcr-test-ca'): Promise<TestPki> {
    const certFile = join(dir, `${name}.crt`);
    const keyFile = join(dir, `${name}.key`);
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    return new TestPki(dir, {
      certFile,
      keyFile,
      cert: await readFile(certFile, 'utf8'),
      key: await readFile(keyFile, 'utf8'),
    });
  }

  private async issue(subject: string, extensions: string): Promise<Pem> {
    const base = join(this.dir, `cert-${++this.counter}`);
    const [keyFile, csr, certFile, ext] = [`${base}.key`, `${base}.csr`, `${base}.crt`, `${base}.ext`];
    await writeFile(ext, extensions);
    await run('openssl', [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      csr,
      '-subj',
      subject,
    ]);
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      this.ca.certFile,
      '-CAkey',
      this.ca.keyFile,
      // A random serial per certificate: -CAcreateserial shares one .srl file, which concurrent issues corrupt.
      '-set_serial',
      `0x${randomBytes(16).toString('hex')}`,
      '-out',
      certFile,
      '-days',
      '2',
      '-extfile',
      ext,
    ]);
    return {
      certFile,
      keyFile,
      cert: await readFile(certFile, 'utf8'),
      key: await readFile(keyFile, 'utf8'),
    };
  }

  /** A serving certificate, by default for 127.0.0.1 and localhost. */
  server(name: string, altNames: string[] = ['DNS:localhost', 'IP:127.0.0.1']): Promise<Pem> {
    return this.issue(`/CN=${name}`, `subjectAltName=${altNames.join(',')}\nextendedKeyUsage=serverAuth\n`);
  }

  /** A client certificate: Kubernetes reads CN as the user name and each O as a group. */
  client(user: string, groups: string[] = []): Promise<Pem> {
    const subject = groups.map((g) => `/O=${g}`).join('') + `/CN=${user}`;
    return this.issue(subject, 'extendedKeyUsage=clientAuth\n');
  }
}
