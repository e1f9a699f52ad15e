/**
 * `rootfs extract` writes only where it was told: a symlink already inside the target directory is
 * not followed, and a hard link whose target climbs out of the layer is refused in file mode as in
 * directory mode, while a hard link to another member of the layer extracts that member's bytes.
 */
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/archive-builder.js';
import { fixture } from '../testing/fixtures.js';
import { fixtureMembers, rawTar } from '../testing/hostile-inputs.js';
import { withCheckpoint } from './checkpoint.js';
import { extractRootfsFile } from './rootfs-extract.js';

const tmp = tempDir('kcr-rootfs-extract-');
const archive = tmp.path('links.tar');

beforeAll(async () => {
  const layer = rawTar([
    { name: 'etc/', type: '5' },
    { name: 'etc/passwd', data: Buffer.from('root:x:0:0:container\n') },
    { name: 'etc/climb', type: '1', linkname: '../../etc/passwd' },
    { name: 'etc/alias', type: '1', linkname: 'etc/passwd' },
  ]);
  const members = await fixtureMembers(fixture('podman', 'busybox-counter.tar'));
  writeFileSync(
    archive,
    rawTar(members.map((m) => (m.name === 'rootfs-diff.tar' ? { ...m, data: layer } : m))),
  );
});

afterAll(() => tmp.cleanup());

const extract = (path: string, output: string) =>
  withCheckpoint(archive, (cp) => extractRootfsFile(cp, path, output));

describe('rootfs extract into a directory that holds a symlink', () => {
  it('refuses to follow DIR/etc -> elsewhere, and writes nothing there', async () => {
    const dir = tmp.path('with-link');
    const elsewhere = tmp.path('elsewhere');
    mkdirSync(dir);
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, `${dir}/etc`);
    await expect(extract('/etc/passwd', dir)).rejects.toMatchObject({
      code: 'invalid-input',
      message: `${dir}/etc: is a symbolic link; kcr does not follow links inside the target directory`,
    });
    expect(readdirSync(elsewhere)).toEqual([]);
  });
});

describe('hard links in the layer', () => {
  it('refuses one that climbs out of the layer, also when the output is a file name', async () => {
    const out = tmp.path('climb.txt');
    await expect(extract('/etc/climb', out)).rejects.toMatchObject({
      code: 'invalid-input',
      message: 'rootfs-diff.tar: entry "../../etc/passwd" would land outside the target directory',
    });
    expect(readdirSync(tmp.dir).filter((n) => n.startsWith('climb'))).toEqual([]);
  });

  it('extracts the bytes of the member one points to inside the layer', async () => {
    const out = tmp.path('alias.txt');
    const file = await extract('/etc/alias', out);
    expect(file).toMatchObject({ path: '/etc/passwd', writtenTo: out });
    expect(readFileSync(out, 'utf8')).toBe('root:x:0:0:container\n');
  });
});
