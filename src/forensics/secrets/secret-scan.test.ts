/**
 * `kcr secrets` finds the tokens planted in the fixtures (in the environment and, with --memory,
 * at the addresses the facts list), finds nothing in the clean nginx checkpoints, recognises each
 * token format in rootfs files and in memory of a crafted archive, and never prints a secret
 * unless asked.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointArchive } from '../../archive/archive.js';
import { buildTar, rewriteArchive, tempDir } from '../../testing/archive-builder.js';
import { fixture, loadFacts } from '../../testing/fixtures.js';
import { runCliCaptured } from '../../testing/run-cli.js';
import { literalPrefix } from '../memory/matchers.js';
import { looksLikeSecretValue } from '../secret-names.js';
import { SECRET_RULES } from '../secret-patterns.js';
import type { SecretScan } from './secret-scan.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

async function secrets(
  archive: string,
  ...flags: string[]
): Promise<{ code: number; scan: SecretScan; stdout: string }> {
  const r = await runCliCaptured(['secrets', archive, '-o', 'json', ...flags]);
  return { code: r.code, scan: JSON.parse(r.stdout) as SecretScan, stdout: r.stdout };
}

const print = (secret: string) => createHash('sha256').update(secret).digest('hex').slice(0, 16);

/** Addresses as kcr prints them: lower-case hex with 0x. */
const hexAddress = (vaddr: string | number) => `0x${BigInt(vaddr).toString(16)}`;

describe('planted secrets in the fixtures', () => {
  it('busybox: SECRET_TOKEN in every process environment and spec.dump, masked, exit 3', async () => {
    const { code, scan, stdout } = await secrets(fixture('podman/busybox-counter.tar'));
    expect(code).toBe(3);
    expect(scan.findings).toEqual([
      expect.objectContaining({
        rule: 'secret-env-name',
        source: 'env',
        name: 'SECRET_TOKEN',
        pids: [1, 36],
        inSpec: true,
        value: '********',
        masked: true,
        fingerprint: print('s3cr3t-busybox-42'),
      }),
    ]);
    expect(stdout).not.toContain('s3cr3t-busybox-42');
  });

  it('cthreads: API_TOKEN is a Stripe-style token, in the environment and on the heap and stack', async () => {
    const { code, scan, stdout } = await secrets(fixture('podman/cthreads-server.tar'), '--memory');
    expect(code).toBe(3);
    const facts = loadFacts('cthreads-server.facts.json').memory_strings.hits.filter(
      (h) => h.string === 'tok_live_51HfA9xQ2',
    );
    expect(scan.findings.map((f) => [f.source, f.rule, f.pid, f.address, f.value])).toEqual([
      ['env', 'stripe-key', undefined, undefined, 'tok_live_********'],
      ...facts.map((h) => ['memory', 'stripe-key', 1, hexAddress(h.vaddr), 'tok_live_********']),
    ]);
    expect(new Set(scan.findings.map((f) => f.fingerprint))).toEqual(new Set([print('51HfA9xQ2')]));
    expect(stdout).not.toContain('51HfA9xQ2');
  });

  it('busybox --memory: the SECRET_TOKEN assignments in each process stack, where the facts put them', async () => {
    const { scan } = await secrets(fixture('podman/busybox-counter.tar'), '--memory');
    const facts = loadFacts('busybox-counter.facts.json').memory_strings.hits.filter(
      (h) => h.string === 'SECRET_TOKEN',
    );
    const memory = scan.findings.filter((f) => f.source === 'memory');
    expect(memory.map((f) => [f.pid, f.address, f.mapping, f.value])).toEqual(
      facts.map((h) => [h.pid, hexAddress(h.vaddr), '[stack]', 'SECRET_TOKEN=********']),
    );
  });

  it('--show-secrets prints values that end where the string ends (at the NUL), never past it', async () => {
    const { scan } = await secrets(fixture('podman/busybox-counter.tar'), '--memory', '--show-secrets');
    const memory = scan.findings.filter((f) => f.source === 'memory');
    expect(memory.length).toBeGreaterThan(0);
    for (const f of memory) expect(f.value).toBe('SECRET_TOKEN=s3cr3t-busybox-42');
  });

  it('--show-secrets prints the values', async () => {
    const { scan } = await secrets(fixture('podman/cthreads-server.tar'), '--show-secrets');
    expect(scan.findings[0]).toMatchObject({ value: 'tok_live_51HfA9xQ2', masked: false });
  });

  it.each(['podman/nginx-webserver-1.tar', 'podman/nginx-webserver-2.tar'])(
    'finds nothing in the clean %s, memory included, and exits 0',
    async (archive) => {
      const { code, scan } = await secrets(fixture(archive), '--memory');
      expect(scan.findings).toEqual([]);
      expect(code).toBe(0);
      expect(scan.scanned.memoryBytes).toBeGreaterThan(3_000_000);
      expect(scan.scanned.files).toBeGreaterThan(0);
    },
  );
});

/** One sample per format; none of them is a real credential. */
const SAMPLES: Array<[rule: string, text: string, secret: string]> = [
  ['aws-access-key-id', 'AKIAIOSFODNN7EXAMPLE', 'IOSFODNN7EXAMPLE'],
  [
    'aws-secret-access-key',
    'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  ],
  ['github-token', 'ghp_0123456789abcdefghijABCDEFGHIJ012345', '0123456789abcdefghijABCDEFGHIJ012345'],
  ['gitlab-token', 'glpat-ABCDEFGHIJ0123456789', 'ABCDEFGHIJ0123456789'],
  ['slack-token', 'xoxb-1234567890-abcdefghij', '1234567890-abcdefghij'],
  ['google-api-key', 'AIzaSyA1234567890abcdefghijklmnopqrstuv', 'SyA1234567890abcdefghijklmnopqrstuv'],
  ['jwt', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U', ''],
  [
    'bearer-token',
    'Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345',
    'abcdefghijklmnopqrstuvwxyz012345',
  ],
  [
    'pem-private-key',
    `-----BEGIN RSA PRIVATE KEY-----\n${'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun'}`,
    '',
  ],
  ['url-password', 'DATABASE=postgres://app:hunter2-pw@db.internal:5432/app', 'hunter2-pw'],
  ['secret-assignment', 'api_key = "Zx9Qw8Er7Ty6"', 'Zx9Qw8Er7Ty6'],
];

describe('token formats in rootfs files and in memory (crafted archive)', () => {
  let crafted = '';
  const heap = 0x8fbb000n; // a dumped heap page of cthreads pid 1, at pages-1.img offset 36864

  beforeAll(async () => {
    const lines = SAMPLES.map(([, text]) => text);
    const rootfs = await buildTar([
      { name: 'app/.env', data: Buffer.from(lines.join('\n') + '\n') },
      {
        name: 'app/clean.conf',
        data: Buffer.from(
          'log_level=debug\nTOKEN_TTL=3600\n# put -----BEGIN PRIVATE KEY----- files in /keys\nurl=https://example.com/a:b\n',
        ),
      },
    ]);
    const archive = await CheckpointArchive.open(fixture('podman/cthreads-server.tar'));
    const pages = Buffer.from(await archive.read('checkpoint/pages-1.img'));
    await archive.close();
    // Each sample NUL-terminated at the start of the page, as strings sit in a heap.
    Buffer.from(lines.join('\0') + '\0').copy(pages, 36864);
    crafted = await rewriteArchive(fixture('podman/cthreads-server.tar'), tmp.path('tokens.tar'), {
      replace: { 'rootfs-diff.tar': rootfs, 'checkpoint/pages-1.img': pages },
    });
  });

  it('finds each format in a rootfs file, on its line, with the secret masked', async () => {
    const { scan, stdout } = await secrets(crafted);
    const files = scan.findings.filter((f) => f.source === 'rootfs');
    let line = 1;
    const want = SAMPLES.map(([rule, text]) => {
      const at: [string, string] = [rule, `/app/.env:${line}`];
      line += text.split('\n').length; // the PEM sample spans two lines
      return at;
    });
    expect(files.map((f) => [f.rule, f.location])).toEqual(want);
    for (const [, , secret] of SAMPLES) if (secret) expect(stdout).not.toContain(secret);
  });

  it('finds each format in memory, at its address in the heap', async () => {
    const { scan } = await secrets(crafted, '--memory');
    const memory = scan.findings.filter((f) => f.source === 'memory' && f.mapping === '[heap]');
    let at = heap;
    const want: Array<[string, string]> = [];
    for (const [rule, text] of SAMPLES) {
      // Matches start at the token itself, not at the label before it.
      const offset = Math.max(0, text.search(/postgres:|Bearer /));
      want.push([rule, `0x${(at + BigInt(offset)).toString(16)}`]);
      at += BigInt(text.length + 1);
    }
    expect(memory.filter((f) => BigInt(f.address!) < at).map((f) => [f.rule, f.address])).toEqual(want);
  });

  it('every rule can be found in memory without running its regex on every byte', () => {
    for (const rule of SECRET_RULES) {
      expect(rule.anchors?.length || literalPrefix(rule.regex.source).length >= 2, rule.id).toBeTruthy();
    }
  });

  it('token values are masked in inspect output whatever the variable is called', () => {
    expect(looksLikeSecretValue('ghp_0123456789abcdefghijABCDEFGHIJ012345')).toBe(true);
    expect(looksLikeSecretValue('production')).toBe(false);
  });
});
