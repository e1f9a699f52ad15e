/**
 * The README's "Using kcr as a library" examples run as written: each ```ts block is saved as a
 * module next to a `node_modules/kcr` link to this repository (so `kcr/...` resolves through the
 * package's exports map, as for an installed copy) and run from a directory where the README's
 * relative fixture paths hold; the kube example talks to the in-repo test cluster.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../src/testing/archive-builder.js';
import { builtBin, REPO_ROOT } from '../../src/testing/built-cli.js';
import { startTestCluster, type TestCluster } from '../../src/testing/kube/test-cluster.js';

/** The ```ts blocks of one README section, with the `kcr/...` subpath each imports first. */
function sectionExamples(heading: string): Array<{ subpath: string; code: string }> {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${heading}\n`);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => {
    const code = m[1]!;
    const subpath = /from '(kcr(?:\/[a-z]+)?)'/.exec(
      code
        .split('\n')
        .filter((l) => l.includes("'kcr"))
        .at(-1) ?? '',
    )?.[1];
    return { subpath: subpath ?? '(none)', code };
  });
}

/**
 * Runs one example with tsx; asynchronously, because the test cluster the kube example talks to
 * answers from this very process.
 */
function runExample(file: string): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      join(REPO_ROOT, 'node_modules/.bin/tsx'),
      [file],
      {
        cwd: tmp.dir,
        timeout: 120_000,
        env: { ...process.env, KUBECONFIG: cluster.kubeconfig, HOME: tmp.dir },
      },
      (err, stdout, stderr) => resolve({ status: err ? Number(err.code ?? 1) || 1 : 0, stdout, stderr }),
    );
  });
}

const examples = sectionExamples('Using kcr as a library');
const tmp = tempDir('kcr-readme-');
let cluster: TestCluster;

beforeAll(async () => {
  builtBin('kcr'); // the examples import dist/ through the exports map
  mkdirSync(join(tmp.dir, 'node_modules'));
  symlinkSync(REPO_ROOT, join(tmp.dir, 'node_modules', 'kcr'));
  symlinkSync(join(REPO_ROOT, 'test'), join(tmp.dir, 'test'));
  cluster = await startTestCluster();
  // The pod the kcr/ops example checkpoints.
  cluster.state.addPod({ name: 'web', node: 'node-1', containers: [{ name: 'web', ports: [8080] }] });
}, 120_000);
afterAll(async () => {
  await cluster?.close();
  tmp.cleanup();
});

describe('the README library examples', () => {
  it('show one example per subpath', () => {
    expect(examples.map((e) => e.subpath)).toEqual([
      'kcr',
      'kcr/archive',
      'kcr/criu',
      'kcr/forensics',
      'kcr/oci',
      'kcr/kube',
      'kcr/ops',
      'kcr/backup',
    ]);
  });

  it.each(examples.map((e, i) => [e.subpath, i] as const))('%s runs as written', async (subpath, i) => {
    const file = join(tmp.dir, `example-${i}.mts`);
    writeFileSync(file, examples[i]!.code);
    const run = await runExample(file);
    expect(run.status, `${subpath} example:\n${run.stderr}`).toBe(0);
    expect(run.stdout.trim(), subpath).not.toBe('');
    expect(run.stdout).toMatch(EXPECTED[subpath] ?? /^$/);
  });
});

/** What each example prints, from the fixtures' facts. */
const EXPECTED: Record<string, RegExp> = {
  kcr: /^cthreads server \[ 'cthreads' \]/,
  'kcr/archive': /^podman counter localhost\/busybox:latest \d+ members/,
  'kcr/criu': /^MM \d+ VMAs/,
  'kcr/forensics': /^1 cthreads 0x8fbb710 \[heap\]/m,
  'kcr/oci': /^true true webserver/,
  'kcr/kube': /^(ready|not ready) /,
  'kcr/ops': /^web web \S*checkpoints\/checkpoint-web_default-web-\S+\.tar$/m,
  'kcr/backup': /^webserver webserver \d+ 1$/m,
};
