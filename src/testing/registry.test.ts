/** The registry harness hands out a registry only when the process it started is the one answering. */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startRegistry } from './registry.js';

function refused(host: string): Promise<boolean> {
  const [address, port] = host.split(':');
  return new Promise((resolve) => {
    const socket = connect(Number(port), address!);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

describe('startRegistry', () => {
  it('starts registries side by side, each on its own port and each answered by its own process', async () => {
    const registries = await Promise.all([1, 2, 3, 4].map(() => startRegistry()));
    try {
      expect(new Set(registries.map((r) => r.host)).size).toBe(4);
      for (const r of registries) {
        const res = await fetch(`http://${r.host}/v2/`);
        expect(res.status).toBe(200);
        expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
      }
    } finally {
      await Promise.all(registries.map((r) => r.stop()));
    }
    // Once our process is gone nothing answers there: it was ours that did.
    for (const r of registries) expect(await refused(r.host)).toBe(true);
  });
});
