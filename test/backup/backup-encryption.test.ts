/**
 * Encrypted backups as a user makes them: `kcr backup --encrypt-to` stores age ciphertext that the
 * age CLI opens, the record stays readable, and `kcr backup get --identity` gives the archive back
 * only with the right key.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../src/testing/archive-builder.js';
import { fixture } from '../../src/testing/fixtures.js';
import { runCliCaptured } from '../../src/testing/run-cli.js';
import { tool } from '../../src/testing/tools.js';

const tmp = tempDir('kcr-backup-enc-');
afterAll(() => tmp.cleanup());

const ARCHIVE = fixture('crio', 'checkpoint-webserver_default-webserver-2026-11-28T16:01:40Z.tar');
const key = (name: string) => fixture('keys', name);
const home = tmp.path('home');
const kcr = (...argv: string[]) =>
  runCliCaptured(argv, { env: { XDG_DATA_HOME: home, KCR_CATALOG: '' }, cwd: tmp.dir });

interface Record {
  id: string;
  archive: { sha256: string; size: number };
  data: { sha256: string; size: number };
  encryption?: { format: string; recipients: string[] };
  source: { pod?: string };
}

describe('kcr backup --encrypt-to, backup get --identity', () => {
  it('stores age ciphertext the age CLI opens, keeps the record readable, and gets it back with the key', async () => {
    const ssh = readFileSync(key('ssh-ed25519.pub'), 'utf8').trim();
    const stored = await kcr(
      'backup',
      ARCHIVE,
      '-o',
      'json',
      '--encrypt-to',
      readFileSync(key('age-recipient.txt'), 'utf8').trim(),
      '--encrypt-to',
      key('ssh-ed25519.pub'),
    );
    expect(stored.stderr).toBe('');
    expect(stored.code).toBe(0);
    // kcr backup prints the rows it made, as kcr backups does; the whole record is backup get's.
    const [row] = JSON.parse(stored.stdout) as { id: string; pod: string; encrypted: boolean }[];
    expect(row).toMatchObject({ pod: 'webserver', encrypted: true });
    const record = JSON.parse((await kcr('backup', 'get', row!.id, '-o', 'json')).stdout) as Record;
    expect(record.id).toBe(row!.id);
    expect(record.source.pod).toBe('webserver');
    expect(record.encryption).toEqual({
      format: 'age',
      recipients: [readFileSync(key('age-recipient.txt'), 'utf8').trim(), ssh],
    });
    expect(record.data.sha256).not.toBe(record.archive.sha256);

    const data = join(home, 'kcr', 'store', 'backups', record.id, 'data');
    expect(readFileSync(data).toString('latin1', 0, 22)).toBe('age-encryption.org/v1\n');
    const byAge = tmp.path('by-age.tar');
    await tool('age', ['-d', '-i', key('ssh-ed25519'), '-o', byAge, data]);
    expect(readFileSync(byAge).equals(readFileSync(ARCHIVE))).toBe(true);

    const out = tmp.path('restored.tar');
    const got = await kcr(
      'backup',
      'get',
      record.id,
      '--output-file',
      out,
      '--identity',
      key('age-identity.txt'),
    );
    expect(got.stderr).toBe('');
    expect(got.code).toBe(0);
    expect(readFileSync(out).equals(readFileSync(ARCHIVE))).toBe(true);

    const wrong = await kcr(
      'backup',
      'get',
      record.id,
      '--output-file',
      tmp.path('no.tar'),
      '--identity',
      key('age-other.txt'),
    );
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^error: none of the given identities can decrypt this data .*\nhint: /);
    expect(() => readFileSync(tmp.path('no.tar'))).toThrow(/ENOENT/);
  });

  it('refuses a recipient it cannot use before reading the archive', async () => {
    const res = await kcr('backup', ARCHIVE, '--encrypt-to', 'age1notakey');
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/^error: not a valid age recipient "age1notakey".*\nhint: /);
    const listed = await kcr('backups', '-o', 'json');
    expect(JSON.parse(listed.stdout)).toHaveLength(1); // only the first test's backup
  });

  it.each([
    [
      'an ocicrypt public key for a file:// store',
      ['--store', 'file://{dir}/pem-to-file', '--encrypt-to', key('ocicrypt-rsa.pub.pem')],
      /^error: file:\/\/.*keeps age-encrypted backups, and .*ocicrypt-rsa\.pub\.pem is a public key for ocicrypt images\nhint: encrypt to age recipients/,
    ],
    [
      'an age recipient for an oci:// store',
      ['--store', 'oci://127.0.0.1:9/never', '--encrypt-to', 'age1notakey'],
      /^error: oci:\/\/127\.0\.0\.1:9\/never keeps encrypted backups as ocicrypt images, which "age1notakey" \(an age recipient\) cannot open\nhint: encrypt to an RSA or EC public key in PEM form/,
    ],
  ])('refuses %s, naming what the store keeps', async (_what, flags, message) => {
    const res = await kcr('backup', ARCHIVE, ...flags.map((f) => f.replace('{dir}', tmp.dir)));
    expect(res.stderr).toMatch(message);
    expect(res.code).toBe(1);
  });
});
