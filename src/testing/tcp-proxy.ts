/**
 * A TCP proxy for failure tests: it forwards 127.0.0.1:<port> to a target and, when armed, cuts one
 * connection (both sockets destroyed, as a dropped link would look): once it has carried more than
 * N bytes upstream (mid-request), just as a client starts its Nth request of a given method (between
 * requests, so the server saw none of it), or in the middle of the body of one response (the client
 * got the status and headers, then the link died). Later connections pass untouched. Plain HTTP only:
 * the proxy reads request lines and response heads.
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
  /**
   * Cut the connection that carries the first request whose head contains `requestContains` (e.g.
   * `GET /v2/repo/manifests/v1`) once `bodyBytes` bytes of its response body have reached the client.
   */
  armResponse(requestContains: string, bodyBytes: number): void;
  /**
   * After the next cut, stop listening for `ms` (connections are refused, as while a registry
   * restarts), then listen again on the same port.
   */
  restartOnCut(ms: number): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let armedAt: number | undefined;
  let armedRequest: { prefix: Buffer; left: number } | undefined;
  let armedResponse: { match: string; bodyBytes: number } | undefined;
  let cuts = 0;
  let downstreamBytes = 0;
  let restartMs: number | undefined;
  let port = 0;
  /** Counts a cut and, when a restart is armed, takes the listener down for a moment. */
  const cut = () => {
    cuts++;
    if (restartMs === undefined) return;
    const down = restartMs;
    restartMs = undefined;
    server.close();
    setTimeout(() => server.listen(port, '127.0.0.1'), down).unref();
  };
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
    /** Set when this connection carries the armed response: its head so far, then the body bytes still to let through. */
    let watched: { head: Buffer; bodyLeft: number; inBody: boolean } | undefined;
    /** Set once the response was cut: whatever the target still sends is dropped. */
    let severed = false;
    /** Forwards a response chunk, or the part of it up to the cut point and then cuts. */
    const forwardDown = (chunk: Buffer): boolean => {
      if (!watched) return client.write(chunk);
      let bodyStart = 0;
      if (!watched.inBody) {
        const head = Buffer.concat([watched.head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end === -1) {
          watched.head = head;
          return client.write(chunk);
        }
        watched.inBody = true;
        bodyStart = end + 4 - watched.head.length;
      }
      const body = chunk.length - bodyStart;
      if (body < watched.bodyLeft) {
        watched.bodyLeft -= body;
        return client.write(chunk);
      }
      const upTo = bodyStart + watched.bodyLeft;
      watched = undefined;
      severed = true;
      cut();
      upstream.pause();
      client.write(chunk.subarray(0, upTo), () => destroyBoth());
      return false;
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
        destroyBoth();
        cut();
        return;
      }
      if (armedResponse && chunk.toString('latin1').includes(armedResponse.match)) {
        watched = { head: Buffer.alloc(0), bodyLeft: armedResponse.bodyBytes, inBody: false };
        armedResponse = undefined;
      }
      if (armedAt !== undefined && sent > armedAt) {
        armedAt = undefined;
        destroyBoth();
        cut();
        return;
      }
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    upstream.on('data', (chunk: Buffer) => {
      if (severed) return;
      downstreamBytes += chunk.length;
      if (!forwardDown(chunk)) upstream.pause();
    });
    client.on('drain', () => severed || upstream.resume());
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('error', destroyBoth);
    upstream.on('error', destroyBoth);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
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
    armResponse(requestContains, bodyBytes) {
      armedResponse = { match: requestContains, bodyBytes };
    },
    restartOnCut(ms) {
      restartMs = ms;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
