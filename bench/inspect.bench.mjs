// `kcr inspect --all -o json` on a 1 GiB checkpoint, against `tar -xf` + `crit decode` of the same
// images, and peak RSS at two archive sizes (it must not grow with the archive).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { growArchive, WORK } from './lib/grow-archive.mjs';
import { measure, printTable } from './lib/measure.mjs';

const KCR = `node ${join(import.meta.dirname, '..', 'bin', 'kcr.js')}`;

export default async function inspectBench() {
  const small = await growArchive(256);
  const big = await growArchive(1024);
  const kcrBig = measure(`${KCR} inspect --all -o json '${big}'`);
  const kcrSmall = measure(`${KCR} inspect --all -o json '${small}'`);

  const out = join(WORK, 'extracted');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
  const images = () =>
    readdirSync(join(out, 'checkpoint'))
      .filter((f) => f.endsWith('.img') && !/^pages-|^tmpfs-/.test(f))
      .map((f) => `crit decode -i ${join(out, 'checkpoint', f)} >/dev/null`)
      .join('; ');
  execFileSync('tar', ['--force-local', '-xf', big, '-C', out]);
  const decodeAll = images();
  const peer = measure(`rm -rf ${out}/* && tar --force-local -xf '${big}' -C ${out} && ${decodeAll}`, {
    repeat: 2,
  });
  rmSync(out, { recursive: true, force: true });

  printTable([
    {
      tool: 'kcr inspect --all -o json (1 GiB)',
      seconds: kcrBig.seconds,
      'peak RSS MiB': kcrBig.rssMiB.toFixed(0),
    },
    {
      tool: 'kcr inspect --all -o json (256 MiB)',
      seconds: kcrSmall.seconds,
      'peak RSS MiB': kcrSmall.rssMiB.toFixed(0),
    },
    { tool: 'tar -xf + crit decode (1 GiB)', seconds: peer.seconds, 'peak RSS MiB': peer.rssMiB.toFixed(0) },
  ]);
  console.log(`ratio tar+crit / kcr: ${(peer.seconds / kcrBig.seconds).toFixed(1)}x faster`);
  console.log(`RSS growth 256 MiB -> 1 GiB: ${(kcrBig.rssMiB - kcrSmall.rssMiB).toFixed(1)} MiB`);
  console.log(
    `targets: inspect < 2 s (${kcrBig.seconds < 2 ? 'met' : 'MISSED'}), RSS < 200 MiB (${kcrBig.rssMiB < 200 ? 'met' : 'MISSED'})`,
  );
}
