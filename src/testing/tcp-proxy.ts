/**
 * A TCP proxy for failure tests: it forwards 127.0.0.1:<port> to a target and, when armed, cuts one
 * connection (both sockets destroyed, as a dropped link would look): either once it has carried more
 * than N bytes upstream (mid-request), or just as a client starts its Nth request of a given method
 * (between requests, so the server saw none of it). Later connections pass untouched.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  host: string;
  /** Connections cut so far. */
  readonly cuts: number;
  /** Bytes the target sent back to clients so far (to show what a command downloaded). */
  readonly downstreamBytes: number;
  /** Cut the next connection once it has sent this many bytes to the target. */
  arm(cutAfterBytes: number): void;
  /** Cut the connection on which the `nth` (1-based) request with this method starts, before forwarding it. */
  armAtRequest(method: string, nth: number): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let armedAt: number | undefined;
  let armedRequest: { prefix: Buffer; left: number } | undefined;
  let cuts = 0;
  let downstreamBytes = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, targetHost);
    sockets.add(client);
    sockets.add(upstream);
    let sent = 0;
    const destroyBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      // HTTP clients write each request's head in its own write, so a request starts a chunk.
      if (
        armedRequest &&
        chunk.subarray(0, armedRequest.prefix.length).equals(armedRequest.prefix) &&
        --armedRequest.left === 0
      ) {
        armedRequest = undefined;
        cuts++;
        destroyBoth();
        return;
      }
      if (armedAt !== undefined && sent > armedAt) {
        armedAt = undefined;
        cuts++;
        destroyBoth();
        return;
      }
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    upstream.on('data', (chunk: Buffer) => {
      downstreamBytes += chunk.length;
      if (!client.write(chunk)) upstream.pause();
    });
    client.on('drain', () => upstream.resume());
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('error', destroyBoth);
    upstream.on('error', destroyBoth);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    get cuts() {
      return cuts;
    },
    get downstreamBytes() {
      return downstreamBytes;
    },
    arm(cutAfterBytes) {
      armedAt = cutAfterBytes;
    },
    armAtRequest(method, nth) {
      armedRequest = { prefix: Buffer.from(`${method} `), left: nth };
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
