/**
 * Facts of the real CRI-O 1.36 archives (test/fixtures/crio-real) as a user sees them: the zombie,
 * the FIFO with its queued bytes, pipe ends, and the rootfs view of special files.
 */
import { describe, expect, it } from 'vitest';
import { processTreeText } from '../../src/cli/output/inspect-printer.js';
import { CRIO_REAL, fixture, loadFacts } from '../../src/testing/fixtures.js';
import { runCliCaptured } from '../../src/testing/run-cli.js';

const [TOOLBOX_CASE, COUNTER_CASE] = CRIO_REAL;
const TOOLBOX = fixture(TOOLBOX_CASE!.archive);
const toolboxFacts = loadFacts(TOOLBOX_CASE!.facts);
const COUNTER = fixture(COUNTER_CASE!.archive);
const counterFacts = loadFacts(COUNTER_CASE!.facts);

interface EnvJson {
  name: string;
  value: string;
  masked?: boolean;
}

async function inspectJson(...args: string[]) {
  const r = await runCliCaptured(['inspect', ...args, '-o', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as {
    checkpoint: { pod?: string; namespace?: string; podUid?: string; podSource?: string; container: string };
    configuredEnv?: EnvJson[];
    processes?: Array<{ pid: number; env?: EnvJson[] }>;
    metadata?: {
      annotations: Record<string, string>;
      config?: Record<string, unknown>;
      process?: { args?: string[]; cwd?: string };
    };
  };
}

describe('a zombie', () => {
  it('shows with its name, zombie state and exit code in the process tree', async () => {
    const zombie = toolboxFacts.processes.list.find((p) => p.zombie)!;
    const r = await runCliCaptured(['inspect', TOOLBOX, '--ps-tree-cmd']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`[${zombie.pid}] ${zombie.comm}  (zombie, exit ${zombie.exit_code})`);
    expect(r.stdout).not.toContain('unknown');
    expect(r.stdout).not.toContain('partly not in the dump');
  });
});

describe('a FIFO', () => {
  const fifo = toolboxFacts.fifos!.list[0]!;

  it('shows its path, open mode and the queued bytes, escaped, in the files view', async () => {
    const r = await runCliCaptured(['inspect', TOOLBOX, '--files']);
    expect(r.code, r.stderr).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.includes(' FIFO '))!;
    expect(line).toContain(`FIFO      ${fifo.path}`);
    expect(line).toContain('read-write end');
    expect(line).toContain(`${fifo.queued[0]!.bytes} bytes queued: "fifo-payload-KCRTOOLBOX\\n"`);
  });

  it('is a fifo, not other, in the rootfs view', async () => {
    const r = await runCliCaptured(['inspect', TOOLBOX, '--rootfs', '-o', 'json']);
    const doc = JSON.parse(r.stdout) as { rootfs: { changed: Array<{ path: string; type: string }> } };
    expect(doc.rootfs.changed.find((f) => f.path === fifo.path)?.type).toBe('fifo');
  });

  it('is refused by rootfs extract with what it is and where its bytes are shown', async () => {
    const r = await runCliCaptured(['rootfs', 'extract', TOOLBOX, fifo.path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: rootfs-diff\.tar: tmp\/q is a FIFO \(named pipe\), not a regular file/);
    expect(r.stderr).toMatch(/\nhint: .*kcr inspect --files/);
  });
});

describe('pipes', () => {
  it('name the process holding the other end', async () => {
    const pipe = toolboxFacts.pipes!.list.find((p) => p.ends.some((e) => e.end === 'read'))!;
    const reader = pipe.ends.find((e) => e.end === 'read')!;
    const writer = pipe.ends.find((e) => e.end === 'write')!;
    const r = await runCliCaptured([
      'inspect',
      TOOLBOX,
      '--files',
      '--pid',
      String(reader.pid),
      '-o',
      'json',
    ]);
    const doc = JSON.parse(r.stdout) as {
      files: Array<{ fds: Array<{ fd: number; end?: string; peers?: Array<{ pid: number; fd: number }> }> }>;
    };
    const fd = doc.files[0]!.fds.find((f) => f.fd === reader.fd)!;
    expect(fd.end).toBe('read');
    expect(fd.peers).toEqual([{ pid: writer.pid, fd: writer.fd, end: 'write' }]);
  });
});

describe('the configured environment (spec.dump process.env)', () => {
  it('is shown beside the environment read from memory, masked as usual', async () => {
    const doc = await inspectJson(TOOLBOX, '--env');
    const want = toolboxFacts.container_config.spec_env!.map((e) => e.split('=')[0]);
    expect(doc.configuredEnv!.map((e) => e.name)).toEqual(want);
    expect(doc.configuredEnv!.find((e) => e.name === 'APP_SECRET')).toEqual({
      name: 'APP_SECRET',
      value: '********',
      masked: true,
    });
    expect(doc.processes!.find((p) => p.pid === 1)!.env!.map((e) => e.name)).toEqual(
      toolboxFacts.processes.list.find((p) => p.pid === 1)!.env_names,
    );
  });

  it('shows the real values with --show-secrets', async () => {
    const doc = await inspectJson(TOOLBOX, '--env', '--show-secrets');
    expect(doc.configuredEnv!.map((e) => `${e.name}=${e.value}`)).toEqual(
      toolboxFacts.container_config.spec_env,
    );
  });

  it('says where each environment came from in the tree', async () => {
    const r = await runCliCaptured(['inspect', COUNTER, '--env']);
    expect(r.stdout).toMatch(/env \(4; read from memory\)/);
    expect(r.stdout).toContain(
      `Configured environment (spec.dump process.env, ${counterFacts.container_config.spec_env!.length})`,
    );
  });

  it('notes that a process cleared its environment when the container had one', () => {
    const text = processTreeText(
      [{ pid: 1, ppid: 0, pgid: 1, sid: 1, comm: 'app', state: 'alive', threads: [], env: [] }],
      [{ name: 'REDIS_PASSWORD', value: '********', masked: true }],
    );
    expect(text).toContain(
      'env (0; read from memory; the process cleared it; the container was configured with 1',
    );
  });
});

describe('the metadata view', () => {
  it("shows spec.dump's annotations and config.dump's fields with --metadata", async () => {
    const doc = await inspectJson(TOOLBOX, '--metadata');
    expect(doc.metadata!.annotations).toEqual(toolboxFacts.container_config.spec_annotations);
    expect(doc.metadata!.config).toMatchObject({
      runtime: 'runc',
      rootfsImageName: TOOLBOX_CASE!.expected!.image,
    });
    expect(doc.metadata!.process!.args).toEqual(toolboxFacts.container_config.spec_process_args);
    expect(doc.processes).toBeUndefined();
  });

  it('is part of --all', async () => {
    expect(
      (await inspectJson(COUNTER, '--all')).metadata!.annotations['io.kubernetes.cri-o.SandboxName'],
    ).toBe(counterFacts.container_config.spec_annotations!['io.kubernetes.cri-o.SandboxName']);
  });
});

describe('a CRI-O archive without Kubernetes labels (crictl checkpoint)', () => {
  it("takes pod, namespace and pod UID from CRI-O's sandbox name, and says so", async () => {
    const doc = await inspectJson(COUNTER, '--ps-tree');
    const identity = (counterFacts as unknown as { summary: { identity: Record<string, string> } }).summary
      .identity;
    expect(doc.checkpoint).toMatchObject({
      pod: identity.pod,
      namespace: identity.namespace,
      podUid: identity.pod_uid,
      container: identity.container,
      podSource: 'sandbox-name',
    });
    expect((await inspectJson(TOOLBOX)).checkpoint.podSource).toBe('annotations');
  });
});
