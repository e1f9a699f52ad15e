/**
 * kcr verify --deep opens the stored archive and decodes every CRIU image: it passes a real dump
 * and fails one whose bytes match their sha256 but whose dump was never whole.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rewriteArchive, tempDir } from '../../src/testing/archive-builder.js';
import { CTHREADS, kcrWithHome, WEB_1 } from '../../src/testing/backup-cli.js';
import { fixture } from '../../src/testing/fixtures.js';

const tmp = tempDir('kcr-verify-deep-');
afterAll(() => tmp.cleanup());

describe('kcr verify --deep', () => {
  it('decodes every CRIU image of a good backup and names the damaged image of a bad one', async () => {
    const kcr = kcrWithHome(tmp.path('home'), tmp.dir);
    // core-1.img whose first entry claims 2368 bytes but only 2 follow: a dump cut short.
    const broken = await rewriteArchive(CTHREADS, tmp.path('broken.tar'), {
      replace: {
        'checkpoint/core-1.img': Buffer.from([
          0x19, 0x43, 0x56, 0x54, 0x47, 0x38, 0x05, 0x55, 0x40, 0x09, 0x00, 0x00, 0x08, 0x01,
        ]),
      },
    });
    await kcr('backup', CTHREADS);
    await kcr('backup', broken);
    const [bad, good] = JSON.parse((await kcr('backups', '-o', 'json')).stdout) as { id: string }[];

    const shallow = await kcr('verify');
    expect(shallow.code).toBe(0);

    const ok = await kcr('verify', '--deep', good!.id);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^ok      ${good!.id} \\(\\d+ CRIU images decoded\\)\\n$`));

    const r = await kcr('verify', '--deep', bad!.id);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(
      `FAILED  ${bad!.id}: core-1.img: checkpoint/core-1.img: entry 0: length 2368 is larger than the 2 bytes left`,
    );
  });

  it('opens an encrypted backup with --identity, as its "encrypted" line says to', async () => {
    const kcr = kcrWithHome(tmp.path('home-sealed'), tmp.dir);
    const stored = await kcr(
      'backup',
      WEB_1,
      '--encrypt-to',
      fixture('keys', 'age-recipient.txt'),
      '-o',
      'json',
    );
    const [{ id }] = JSON.parse(stored.stdout) as [{ id: string }];

    const locked = await kcr('verify', '--deep', id);
    expect(locked.code, locked.stderr).toBe(0);
    expect(locked.stdout).toBe(
      `ok      ${id}: encrypted: its data matches the record; give --identity to check inside\n`,
    );
    const opened = await kcr('verify', '--deep', id, '--identity', fixture('keys', 'age-identity.txt'));
    expect(opened.code, opened.stderr).toBe(0);
    expect(opened.stdout).toMatch(new RegExp(`^ok      ${id} \\(\\d+ CRIU images decoded\\)\\n$`));
  });
});
