/**
 * Bad input gets one `error:` line naming the problem, one `hint:` line with the way out, and
 * exit code 2: never a stack trace, never a crash.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTar, rewriteArchive, tempDir } from '../../src/testing/archive-builder.js';
import { fixture } from '../../src/testing/fixtures.js';
import { runCliCaptured } from '../../src/testing/run-cli.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const CTHREADS = fixture('crio', 'checkpoint-cthreads_apps-server-2026-11-28T16:04:20Z.tar');

function expectOneClearError(r: { code: number; stderr: string; stdout: string }, message: RegExp) {
  expect(r.code).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(message);
  expect(lines.slice(1).every((l) => l.startsWith('hint: '))).toBe(true);
  expect(lines.length).toBeLessThanOrEqual(2);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).toBe('');
}

/**
 * A damaged CRIU image costs the views that read it: `inspect` still prints the rest (here the
 * header), names the lost view in one `warning:` line, and exits 2.
 */
function expectViewLost(r: { code: number; stderr: string; stdout: string }, message: RegExp) {
  expect(r.code).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines.every((l) => l.startsWith('warning: '))).toBe(true);
  expect(lines.find((l) => l.startsWith('warning: processes not shown: '))).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).toMatch(/^Container: /);
}

async function craft(name: string, edits: Parameters<typeof rewriteArchive>[2]): Promise<string> {
  return rewriteArchive(CTHREADS, tmp.path(name), edits);
}

describe('bad input', () => {
  it('a file that is not a tar', async () => {
    const path = tmp.path('notes.txt');
    writeFileSync(path, 'these are not the archives you are looking for\n'.repeat(40));
    expectOneClearError(await runCliCaptured(['inspect', path]), /notes\.txt: not a tar archive/);
  });

  it('an empty file', async () => {
    const path = tmp.path('empty.tar');
    writeFileSync(path, '');
    expectOneClearError(await runCliCaptured(['show', path]), /empty\.tar: not a tar archive/);
  });

  it('a truncated tar', async () => {
    const path = tmp.path('truncated.tar');
    writeFileSync(path, readFileSync(CTHREADS).subarray(0, 150_000));
    expectOneClearError(
      await runCliCaptured(['inspect', path, '--all']),
      /truncated\.tar: truncated tar: member .* needs \d+ bytes/,
    );
  });

  it('a truncated image', async () => {
    // core-1.img whose first entry claims 2368 bytes but only 2 follow.
    const path = await craft('truncated-image.tar', {
      replace: {
        'checkpoint/core-1.img': Buffer.from([
          0x19, 0x43, 0x56, 0x54, 0x47, 0x38, 0x05, 0x55, 0x40, 0x09, 0x00, 0x00, 0x08, 0x01,
        ]),
      },
    });
    expectViewLost(
      await runCliCaptured(['inspect', path]),
      /checkpoint\/core-1\.img: entry 0: length 2368 is larger than the 2 bytes left/,
    );
  });

  it('an entry length larger than the file', async () => {
    const path = await craft('huge-entry.tar', {
      replace: {
        'checkpoint/pstree.img': Buffer.from([
          0x19, 0x43, 0x56, 0x54, 0x30, 0x30, 0x27, 0x50, 0xff, 0xff, 0xff, 0x7f, 0x08, 0x01,
        ]),
      },
    });
    expectViewLost(
      await runCliCaptured(['inspect', path]),
      /pstree\.img: entry 0: length 2147483647 is larger than the 2 bytes left/,
    );
  });

  it('a protobuf payload cut in the middle of a field', async () => {
    const path = await craft('bad-proto.tar', {
      replace: {
        'checkpoint/pstree.img': Buffer.from([
          0x19, 0x43, 0x56, 0x54, 0x30, 0x30, 0x27, 0x50, 0x02, 0x00, 0x00, 0x00, 0x08, 0x81,
        ]),
      },
    });
    expectViewLost(await runCliCaptured(['inspect', path]), /pstree\.img: entry 0: pstree_entry: /);
  });

  it('an unknown magic', async () => {
    const path = await craft('bad-magic.tar', {
      replace: {
        'checkpoint/pstree.img': Buffer.from([
          0x19, 0x43, 0x56, 0x54, 0xef, 0xbe, 0xad, 0xde, 0x00, 0x00, 0x00, 0x00,
        ]),
      },
    });
    expectViewLost(await runCliCaptured(['inspect', path]), /pstree\.img: unknown magic 0xdeadbeef/);
    expectOneClearError(
      await runCliCaptured(['criu', 'decode', `${path}:checkpoint/pstree.img`]),
      /unknown magic 0xdeadbeef/,
    );
  });

  it('a missing pstree.img', async () => {
    const path = await craft('no-pstree.tar', { drop: ['checkpoint/pstree.img'] });
    expectViewLost(await runCliCaptured(['inspect', path]), /no-pstree\.tar: has no checkpoint\/pstree\.img/);
  });

  it('a missing spec.dump', async () => {
    const path = await craft('no-spec.tar', { drop: ['spec.dump'] });
    expectOneClearError(await runCliCaptured(['show', path]), /no-spec\.tar: has no spec\.dump/);
  });

  it('a damaged spec.dump', async () => {
    const path = await craft('bad-spec.tar', {
      replace: { 'spec.dump': Buffer.from('{"ociVersion": "1.0.2", "process": {') },
    });
    expectOneClearError(await runCliCaptured(['show', path]), /^error: spec\.dump: /);
  });

  it.each([
    [
      'spec.dump',
      '{"annotations": "io.container.manager=cri-o"}',
      'spec.dump: annotations must be an object',
    ],
    ['spec.dump', '{"process": {"args": ["nginx", 7]}}', 'spec.dump: process.args[1] must be a string'],
    ['spec.dump', '{"mounts": [{"source": "/srv"}]}', 'spec.dump: mounts[0].destination is missing'],
    ['config.dump', '{"id": 42}', 'config.dump: id must be a string'],
  ])('a %s of the wrong shape (%s) names the field', async (member, text, message) => {
    const path = await craft(`shape-${member}-${message.length}.tar`, {
      replace: { [member]: Buffer.from(text) },
    });
    const r = await runCliCaptured(['show', path]);
    expectOneClearError(r, new RegExp(`^error: ${message.replace(/[.[\]]/g, '\\$&')}$`, 'm'));
    expect(r.stderr).toMatch(/^hint: .*holds an unexpected/m);
  });

  it('a tar entry named ../../etc/passwd', async () => {
    const path = tmp.path('traversal.tar');
    writeFileSync(
      path,
      await buildTar([{ name: '../../etc/passwd', data: Buffer.from('root:x:0:0::/root:/bin/sh\n') }]),
    );
    expectOneClearError(
      await runCliCaptured(['inspect', path]),
      /member "\.\.\/\.\.\/etc\/passwd" points outside the archive/,
    );
  });

  it('a file that does not exist', async () => {
    expectOneClearError(
      await runCliCaptured(['show', tmp.path('nope.tar')]),
      /nope\.tar: no such file or directory/,
    );
  });

  it('an unknown pid', async () => {
    expectOneClearError(
      await runCliCaptured(['inspect', CTHREADS, '--pid', '4242']),
      /no process with pid 4242/,
    );
  });

  it('a usage error exits 1 with a hint', async () => {
    const r = await runCliCaptured(['inspect', CTHREADS, '-o', 'xml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: -o\/--output takes an output format \(tree, json, yaml\), not "xml"$/m);
    expect(r.stderr).toMatch(/^hint: /m);
  });
});
