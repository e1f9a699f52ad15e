/** A throwaway CA and a server certificate for 127.0.0.1/localhost, for the TLS registry tests. */
import { mkdirSync } from 'node:fs';
import { TestPki } from './pki.js';

export interface TestCa {
  caCert: string;
  serverCert: string;
  serverKey: string;
}

export async function makeTestCa(dir: string): Promise<TestCa> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pki = await TestPki.create(dir, 'kcr-test-ca');
  const server = await pki.server('127.0.0.1');
  return { caCert: pki.ca.certFile, serverCert: server.certFile, serverKey: server.keyFile };
}
