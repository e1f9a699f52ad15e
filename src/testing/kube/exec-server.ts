/**
 * The API server's exec endpoint over WebSocket, speaking the channel protocol: the subprotocol
 * is negotiated (v5.channel.k8s.io, else v4.channel.k8s.io), every frame starts with its channel
 * byte (1 stdout, 2 stderr, 3 the closing Status; clients may send 255 to close a stream in v5).
 * Commands run against the files the pod's hostPath volumes expose from the node's directory, so
 * a copy through it reads real bytes.
 */
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type WebSocket from 'ws';
import type { FakeNode } from './cluster-state.js';
import type { PodJson } from './objects.js';

export interface ExecRecord {
  pod: string;
  container: string;
  command: string[];
  protocol: string;
  /** Streams the client closed with a v5 CLOSE frame. */
  closedByClient: number[];
  /** Settles when the connection is gone, whoever closed it. */
  closed: Promise<void>;
}

export interface ExecHooks {
  /** Awaited after `cat` has sent its first chunk; tests hold a copy open with it. */
  afterFirstChunk?: (record: ExecRecord) => Promise<void>;
  /** Called when a client goes away before the command finished. */
  onClientGone?: (record: ExecRecord) => void;
  /** Makes a command fail as it can on a node (a read error): its exit code and stderr; awaited, so a test can order the failure. */
  fail?: (
    record: ExecRecord,
  ) =>
    | { exitCode: number; stderr: string }
    | undefined
    | Promise<{ exitCode: number; stderr: string } | undefined>;
}

const CHUNK = 64 * 1024;

/** Maps a path inside the container to the node directory behind its hostPath volume. */
export function nodeFileFor(
  pod: PodJson,
  containerName: string,
  node: FakeNode,
  path: string,
): string | undefined {
  const container = pod.spec.containers.find((c) => c.name === containerName);
  for (const mount of container?.volumeMounts ?? []) {
    const prefix = mount.mountPath.replace(/\/+$/, '');
    if (path !== prefix && !path.startsWith(prefix + '/')) continue;
    const volume = pod.spec.volumes?.find((v) => v.name === mount.name);
    if (!volume?.hostPath) return undefined;
    return join(node.root, volume.hostPath.path, posix.relative(prefix, path));
  }
  return undefined;
}

function frame(channel: number, data: Buffer | string): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([Buffer.from([channel]), payload]);
}

function send(ws: WebSocket, data: Buffer): Promise<void> {
  // The send callback fires once the frame is written: waiting for it gives backpressure.
  return new Promise((resolve, reject) => ws.send(data, (err) => (err ? reject(err) : resolve())));
}

function exitStatus(code: number, command: string[]): object {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

async function catFile(ws: WebSocket, file: string, record: ExecRecord, hooks: ExecHooks): Promise<void> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(CHUNK);
    let first = true;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) return;
      if (ws.readyState !== ws.OPEN) throw new Error('client gone');
      await send(ws, frame(1, Buffer.from(buffer.subarray(0, bytesRead))));
      if (first) {
        first = false;
        await hooks.afterFirstChunk?.(record);
      }
    }
  } finally {
    await handle.close();
  }
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(file, 'r');
  try {
    for await (const chunk of handle.createReadStream()) hash.update(chunk as Buffer);
  } finally {
    await handle.close().catch(() => undefined);
  }
  return hash.digest('hex');
}

/** Runs one of the few commands kcr's helper pod needs; anything else is "not found" as in sh. */
async function run(
  ws: WebSocket,
  command: string[],
  resolve: (p: string) => string | undefined,
  record: ExecRecord,
  hooks: ExecHooks,
): Promise<number> {
  const failure = await hooks.fail?.(record);
  if (failure) {
    await send(ws, frame(2, failure.stderr));
    return failure.exitCode;
  }
  const [name, ...args] = command;
  const path = args.at(-1) ?? '';
  const file = resolve(path);
  const missing = async () => {
    await send(ws, frame(2, `${name}: can't open '${path}': No such file or directory\n`));
    return 1;
  };
  const exists =
    file !== undefined &&
    (await stat(file).then(
      (s) => s.isFile(),
      () => false,
    ));
  if (name === 'cat' && args.length === 1) {
    if (!exists) return missing();
    await catFile(ws, file, record, hooks);
    return 0;
  }
  if (name === 'sha256sum' && args.length === 1) {
    if (!exists) return missing();
    await send(ws, frame(1, `${await sha256(file)}  ${path}\n`));
    return 0;
  }
  if (name === 'stat' && args[0] === '-c' && args[1] === '%s' && args.length === 3) {
    if (!exists) return missing();
    await send(ws, frame(1, `${(await stat(file)).size}\n`));
    return 0;
  }
  await send(ws, frame(2, `sh: ${name}: not found\n`));
  return 127;
}

export async function serveExec(
  ws: WebSocket,
  pod: PodJson,
  node: FakeNode,
  record: ExecRecord,
  hooks: ExecHooks,
): Promise<void> {
  ws.on('message', (data: Buffer) => {
    // v5 clients close their stdin with [255, 0]; v4 has no such frame.
    if (data[0] === 255 && record.protocol === 'v5.channel.k8s.io') record.closedByClient.push(data[1]!);
  });
  try {
    const code = await run(
      ws,
      record.command,
      (p) => nodeFileFor(pod, record.container, node, p),
      record,
      hooks,
    );
    await send(ws, frame(3, JSON.stringify(exitStatus(code, record.command))));
    ws.close(1000);
  } catch {
    hooks.onClientGone?.(record);
    ws.terminate();
  }
}
