// Backups (issue 12's targets), each side by side with its floor:
//   kcr backup ARCHIVE --store file://   vs  cp + sha256sum of the same 1 GiB archive (and peak RSS)
//   kcr backup ARCHIVE --store s3://     vs  a plain lib-storage multipart upload by the same SDK
//                                            (same 16 MiB parts, 4 in flight), to s3rver
//   kcr backups over 100,000 records      (the whole command, node start included: its default page
//                                            is the target; --all, every row streamed, is printed too)
//   kcr catalog sync of 10,000 records from a file store
// s3rver runs in its own process, so that the timed commands and the server do not share a thread.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { growArchive, WORK } from './lib/grow-archive.mjs';
import { benchRow as row, loadLine, measure, printTable } from './lib/measure.mjs';

const ROOT = join(import.meta.dirname, '..');
const KCR = `node ${join(ROOT, 'bin', 'kcr.js')}`;
const DIST = join(ROOT, 'dist', 'backup', 'index.js');
const S3_ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };

/** s3rver in a child process; resolves with its endpoint once it listens. */
async function startS3rver(dir) {
  const script = join(WORK, 's3rver.mjs');
  writeFileSync(
    script,
    `import S3rver from ${JSON.stringify(join(ROOT, 'node_modules', 's3rver', 'lib', 's3rver.js'))};
const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: process.argv[2],
  configureBuckets: [{ name: 'bench', configs: [] }] });
const { port } = await server.run();
console.log('PORT ' + port);`,
  );
  const child = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      const m = /PORT (\d+)/.exec(String(d));
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
  });
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

/** The floor for S3: the file through lib-storage's Upload, as kcr's S3 store configures it. */
function plainUploadScript() {
  const path = join(WORK, 'plain-upload.mjs');
  writeFileSync(
    path,
    `import { createReadStream } from 'node:fs';
import { S3Client } from ${JSON.stringify(join(ROOT, 'node_modules', '@aws-sdk', 'client-s3', 'dist-cjs', 'index.js'))};
import { Upload } from ${JSON.stringify(join(ROOT, 'node_modules', '@aws-sdk', 'lib-storage', 'dist-cjs', 'index.js'))};
const [endpoint, file, key] = process.argv.slice(2);
const client = new S3Client({ endpoint, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
await new Upload({ client, params: { Bucket: 'bench', Key: key, Body: createReadStream(file) },
  partSize: 16 * 1024 * 1024, queueSize: 4 }).done();`,
  );
  return path;
}

/** A file store of `n` backups with tiny data, written as the file store lays them out. */
function catalogScript() {
  const path = join(WORK, 'catalog-fill.mjs');
  writeFileSync(
    path,
    `import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Catalog, sealRecord, serializeEntry, RECORD_API_VERSION } from ${JSON.stringify(DIST)};
const [mode, target, count] = process.argv.slice(2);
const n = Number(count);
const sha = 'ab'.repeat(32);
const records = [];
for (let i = 0; i < n; i++) {
  const t = new Date(Date.UTC(2026, 0, 1) + i * 60_000);
  const id = t.toISOString().replace(/[-:]/g, '').replace(/\\.\\d+/, '').toLowerCase() + '-' + i.toString(16).padStart(8, '0');
  const ns = 'ns-' + (i % 20), pod = 'pod-' + (i % 500), container = 'app';
  records.push(sealRecord({ apiVersion: RECORD_API_VERSION, kind: 'Backup', id, createdAt: t.toISOString(),
    source: { namespace: ns, pod, container, node: 'node-' + (i % 8), engine: 'cri-o', image: 'registry/app:1' },
    labels: { app: pod, tier: 'web' }, archive: { name: 'checkpoint.tar', size: 1, sha256: sha },
    data: { size: 1, sha256: sha }, chain: { key: ns + '/' + pod + '/' + container, previousHash: null }, pinned: false }));
}
if (mode === 'store') {
  for (const r of records) {
    const dir = join(target, 'backups', r.id);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'data'), 'x');
    writeFileSync(join(dir, 'record.json'), serializeEntry(r));
  }
} else {
  const catalog = Catalog.open(target);
  catalog.addStore('bench', 'file:///nowhere');
  catalog.replaceEntries('bench', records);
  catalog.close();
}`,
  );
  return path;
}

function run(command, env = {}) {
  return measure(command, { repeat: 1, env });
}

export default async function backupBench() {
  const archive = await growArchive(1024);
  console.log(`before: ${loadLine()}`);
  const home = join(WORK, 'backup-home');
  const env = { XDG_DATA_HOME: home, KCR_CATALOG: join(home, 'catalog.db') };
  const fresh = () => {
    rmSync(home, { recursive: true, force: true });
    rmSync(join(WORK, 'copy.tar'), { force: true });
    mkdirSync(home, { recursive: true });
  };

  // file:// against cp + sha256sum, best of 3 each; the store is emptied before every run.
  const best = (make) => {
    let b;
    for (let i = 0; i < 3; i++) {
      fresh();
      const r = make();
      b = !b || r.seconds < b.seconds ? { ...r, rssMiB: Math.max(r.rssMiB, b?.rssMiB ?? 0) } : b;
    }
    return b;
  };
  const store = `file://${join(WORK, 'backup-home', 'store')}`;
  const kcrFile = best(() => run(`${KCR} -q backup '${archive}' --store ${store}`, env));
  const floorFile = best(() =>
    run(`cp '${archive}' ${join(WORK, 'copy.tar')} && sha256sum ${join(WORK, 'copy.tar')}`),
  );

  // s3:// against the plain SDK upload, each run to a fresh key.
  const s3dir = join(WORK, 's3rver');
  rmSync(s3dir, { recursive: true, force: true });
  mkdirSync(s3dir, { recursive: true });
  const s3 = await startS3rver(s3dir);
  let kcrS3;
  let floorS3;
  try {
    const upload = plainUploadScript();
    const s3env = { ...env, ...S3_ENV };
    kcrS3 = best(() => {
      run(`${KCR} store add offsite s3://bench/kcr --endpoint ${s3.endpoint} --path-style --no-sync`, s3env);
      return run(`${KCR} -q backup '${archive}' --store offsite`, s3env);
    });
    floorS3 = best(() => run(`node ${upload} ${s3.endpoint} '${archive}' plain/${Date.now()}`, S3_ENV));
  } catch (err) {
    s3.stop();
    throw err;
  }

  // The catalog: 100k records listed; 10k records synced from a file store.
  const fill = catalogScript();
  const bigCatalog = join(WORK, 'catalog-100k.db');
  rmSync(bigCatalog, { force: true });
  run(`node ${fill} catalog ${bigCatalog} 100000`);
  const catalogEnv = { KCR_CATALOG: bigCatalog, XDG_DATA_HOME: home };
  // The first open migrates nothing (the fill wrote the current schema); one run warms the cache.
  run(`${KCR} backups --limit 1`, catalogEnv);
  // The start-up every command pays, for reference: what `kcr backups` adds is the difference.
  const startup = measure(`${KCR} version`, { env: catalogEnv });
  const list = measure(`${KCR} backups`, { env: catalogEnv });
  const listAll = measure(`${KCR} backups --all`, { env: catalogEnv });
  const listJson = measure(`${KCR} backups -o json`, { env: catalogEnv });
  const listJsonAll = measure(`${KCR} backups -o json --all`, { env: catalogEnv });
  const listPod = measure(`${KCR} backups --pod pod-7`, { env: catalogEnv });
  const syncStore = join(WORK, 'store-10k');
  rmSync(syncStore, { recursive: true, force: true });
  run(`node ${fill} store ${syncStore} 10000`);
  fresh();
  run(`${KCR} store add big file://${syncStore} --no-sync`, env);
  const sync = measure(`${KCR} catalog sync big`, { env });
  s3.stop();
  rmSync(syncStore, { recursive: true, force: true });
  rmSync(s3dir, { recursive: true, force: true });
  fresh();

  printTable([
    row('kcr backup → file:// (1 GiB)', kcrFile),
    row('cp + sha256sum (1 GiB)', floorFile),
    row('kcr backup → s3:// (s3rver)', kcrS3),
    row('plain SDK multipart upload', floorS3),
    row('kcr version (start-up alone)', startup),
    row('kcr backups (100k records: page of 500)', list),
    row('kcr backups --all (100k rows, table)', listAll),
    row('kcr backups -o json (page of 500)', listJson),
    row('kcr backups -o json --all (100k)', listJsonAll),
    row('kcr backups --pod P (100k)', listPod),
    row('kcr catalog sync (10k records)', sync),
  ]);
  const ratio = (a, b) => Number((a.seconds / b.seconds).toFixed(2));
  const targets = [
    {
      what: 'backup file:// vs cp+sha256sum',
      value: ratio(kcrFile, floorFile),
      target: '<= 1.2x',
      cpu: `${kcrFile.cpuSeconds} vs ${floorFile.cpuSeconds} s`,
    },
    { what: 'backup file:// peak RSS (MiB)', value: Math.round(kcrFile.rssMiB), target: '<= 200' },
    { what: 'backup s3:// vs plain SDK upload', value: ratio(kcrS3, floorS3), target: '<= 1.3x' },
    {
      what: 'kcr backups, 100k records (s)',
      value: list.seconds,
      target: '<= 0.3 s',
      cpu: `${list.cpuSeconds} s; kcr version ${startup.seconds} s wall, ${startup.cpuSeconds} s cpu`,
    },
    { what: 'catalog sync, 10k records (s)', value: sync.seconds, target: '<= 10 s' },
  ].map((t) => ({ ...t, met: t.value <= Number(/[\d.]+/.exec(t.target)[0]) }));
  for (const t of targets) {
    const cpu = t.cpu === undefined ? '' : ` [cpu ${t.cpu}]`;
    console.log(`${t.what}: ${t.value} (target ${t.target}: ${t.met ? 'met' : 'MISSED'})${cpu}`);
  }
  console.log(`after: ${loadLine()}`);
  return targets;
}
