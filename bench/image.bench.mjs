// `kcr image build --push` of a 1 GiB checkpoint archive to a local docker-registry, against the
// seed's way (`buildah bud` of `FROM scratch` + `ADD archive.tar .`, then `buildah push`, vfs storage)
// and against the floor: `sha256sum` plus one monolithic `curl -T` of the same bytes as a blob.
// Every run gets a fresh registry, so no run finds another's blobs.
import { spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { growArchive, WORK } from './lib/grow-archive.mjs';
import { printTable } from './lib/measure.mjs';
import { startBenchRegistry } from './lib/registry.mjs';

const KCR = `node ${join(import.meta.dirname, '..', 'bin', 'kcr.js')}`;
const REPEAT = 3;

function timed(command) {
  const run = spawnSync(
    '/usr/bin/time',
    ['-f', 'KCRTIME %e %M', 'bash', '-c', `set -euo pipefail; ${command} >/dev/null`],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
      maxBuffer: 1 << 26,
    },
  );
  const line = run.stderr.split('\n').find((l) => l.startsWith('KCRTIME '));
  if (run.status !== 0 || !line) throw new Error(`benchmark command failed: ${command}\n${run.stderr}`);
  const [, secs, kb] = line.split(' ');
  return { seconds: Number(secs), rssMiB: Number(kb) / 1024 };
}

/** Best wall time of REPEAT runs, each against a fresh registry; peak RSS over all runs. */
async function measureWithRegistry(makeCommand, before) {
  let best;
  for (let i = 0; i < REPEAT; i++) {
    const registry = await startBenchRegistry(WORK);
    try {
      before?.();
      const r = timed(makeCommand(registry.host, i));
      best =
        !best || r.seconds < best.seconds
          ? { ...r, rssMiB: Math.max(r.rssMiB, best?.rssMiB ?? 0) }
          : { ...best, rssMiB: Math.max(r.rssMiB, best.rssMiB) };
    } finally {
      await registry.stop();
    }
  }
  return best;
}

export default async function imageBench() {
  const archive = await growArchive(1024);
  const kcr = await measureWithRegistry(
    (host, i) => `${KCR} -q image build '${archive}' -t ${host}/bench/kcr:${i} --push --insecure`,
  );

  const floor = await measureWithRegistry(
    (host) =>
      `d=$(openssl dgst -sha256 -r '${archive}' | cut -d' ' -f1); ` +
      `loc=$(curl -sfi -X POST http://${host}/v2/bench/floor/blobs/uploads/ | tr -d '\\r' | sed -n 's/^[Ll]ocation: //p'); ` +
      `curl -sf -T '${archive}' -H 'Content-Type: application/octet-stream' "$loc&digest=sha256:$d"`,
  );

  const ctx = join(WORK, 'buildah-ctx');
  const root = join(WORK, 'buildah-root');
  const storage = `--root ${root} --runroot ${join(WORK, 'buildah-run')} --storage-driver vfs`;
  rmSync(ctx, { recursive: true, force: true });
  mkdirSync(ctx, { recursive: true });
  linkSync(archive, join(ctx, 'archive.tar')); // a hard link: no copy outside the timed part
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch\nADD archive.tar .\n');
  const buildah = await measureWithRegistry(
    (host, i) =>
      `buildah ${storage} bud --isolation chroot --annotation io.kubernetes.cri-o.annotations.checkpoint.name=bench -t localhost/bench:${i} ${ctx} && ` +
      `buildah ${storage} push --tls-verify=false localhost/bench:${i} docker://${host}/bench/buildah:${i}`,
    () => spawnSync('bash', ['-c', `buildah ${storage} rmi -a -f >/dev/null 2>&1; rm -rf ${root}`]),
  );
  spawnSync('bash', [
    '-c',
    `buildah ${storage} rmi -a -f >/dev/null 2>&1; rm -rf ${root} ${ctx} ${join(WORK, 'buildah-run')}`,
  ]);

  printTable([
    { way: 'kcr image build --push', seconds: kcr.seconds, 'peak RSS MiB': kcr.rssMiB.toFixed(0) },
    {
      way: 'buildah bud + buildah push (vfs)',
      seconds: buildah.seconds,
      'peak RSS MiB': buildah.rssMiB.toFixed(0),
    },
    {
      way: 'floor: openssl dgst -sha256 + curl -T',
      seconds: floor.seconds,
      'peak RSS MiB': floor.rssMiB.toFixed(0),
    },
  ]);
  const speedup = buildah.seconds / kcr.seconds;
  const overFloor = kcr.seconds / floor.seconds;
  console.log(
    `kcr vs buildah: ${speedup.toFixed(1)}x faster (target >= 3x: ${speedup >= 3 ? 'met' : 'MISSED'})`,
  );
  console.log(
    `kcr vs floor: ${overFloor.toFixed(2)}x the floor's time (target <= 1.0x: ${overFloor <= 1.0 ? 'met' : 'MISSED'})`,
  );
  console.log(
    `kcr peak RSS: ${kcr.rssMiB.toFixed(0)} MiB (target < 200 MiB: ${kcr.rssMiB < 200 ? 'met' : 'MISSED'})`,
  );
  return [
    {
      what: 'image build --push 1 GiB, kcr/floor (openssl dgst + curl -T)',
      value: `${overFloor.toFixed(2)}x`,
      target: '<= 1.0x',
      met: overFloor <= 1.0,
    },
  ];
}
