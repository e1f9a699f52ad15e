/**
 * The dashboard's API, called directly over HTTP as the browser and scripts call it: every
 * endpoint against the real fixtures and their facts, the token and CSRF rules, path confinement,
 * and errors as JSON.
 */
import { copyFileSync, existsSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/archive-builder.js';
import { fixture, loadFacts } from '../testing/fixtures.js';
import type {
  CheckpointList,
  DiffBody,
  InspectionBody,
  MemoryBody,
  MemoryReadBody,
  RestoreStatusBody,
  RevealBody,
  RootfsFileBody,
  SecretsBody,
  UploadBody,
} from './api-types.js';
import { startDashboard, type Dashboard } from './dashboard.js';

const TOKEN = 'test-token-0123456789abcdef';
const NGINX1 = 'd0/nginx-webserver-1.tar';
const NGINX2 = 'd0/nginx-webserver-2.tar';
const CTHREADS = 'd0/cthreads-server.tar';
const nginx1 = loadFacts('nginx-webserver-1.facts.json');
const nginx2 = loadFacts('nginx-webserver-2.facts.json');
const cthreads = loadFacts('cthreads-server.facts.json');

const work = tempDir('kcr-ui-api-');
const log: string[] = [];
let ui: Dashboard;

interface Answer<T> {
  status: number;
  body: T;
  headers: Headers;
}

async function call<T>(path: string, init: RequestInit & { token?: string | null } = {}): Promise<Answer<T>> {
  const { token = TOKEN, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  const response = await fetch(`${ui.url}api/v1${path}`, { ...rest, headers, redirect: 'manual' });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as T, headers: response.headers };
}

const id = (value: string) => encodeURIComponent(value);
type ErrorAnswer = { error: { code: string; message: string; hint?: string } };

/** Server-sent events of a stream that ends by itself, as [event, data] pairs. */
async function events(path: string): Promise<Array<[string, unknown]>> {
  const response = await fetch(`${ui.url}api/v1${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? 'null';
      return [event, JSON.parse(data)] as [string, unknown];
    });
}

beforeAll(async () => {
  const archives = join(work.dir, 'archives');
  mkdirSync(archives);
  for (const name of ['nginx-webserver-1.tar', 'nginx-webserver-2.tar', 'cthreads-server.tar'])
    copyFileSync(fixture('podman', name), join(archives, name));
  writeFileSync(join(archives, 'garbage.tar'), 'this is not a tar archive\n'.repeat(40));
  symlinkSync('/etc/passwd', join(archives, 'escape.tar'));
  ui = await startDashboard({
    paths: [archives, fixture('crio', 'checkpoint-webserver_default-webserver-2026-11-28T16:01:40Z.tar')],
    port: 0,
    token: TOKEN,
    env: { HOME: work.dir },
    log: (line) => log.push(line),
  });
});

afterAll(async () => {
  await ui?.close();
  work.cleanup();
});

describe('GET /api/v1/checkpoints', () => {
  it('lists the archives of every directory and single archive given, read as kcr list reads them', async () => {
    const { status, body } = await call<CheckpointList>('/checkpoints');
    expect(status).toBe(200);
    const byId = new Map(body.checkpoints.map((c) => [c.id, c]));
    expect(byId.get(NGINX1)).toMatchObject({ container: 'webserver', engine: 'podman', origin: 'directory' });
    expect(byId.get(CTHREADS)?.size).toBe(statSync(fixture('podman', 'cthreads-server.tar')).size);
    expect(byId.get('f0/checkpoint-webserver_default-webserver-2026-11-28T16:01:40Z.tar')).toMatchObject({
      namespace: 'default',
      pod: 'webserver',
      engine: 'cri-o',
    });
    // The one archive kcr cannot read is listed, with the reason.
    expect(byId.get('d0/garbage.tar')?.error).toBeTruthy();
    // Only the one file named: its neighbours in test/fixtures/crio are not served.
    expect([...byId.keys()].filter((k) => k.startsWith('f0/'))).toHaveLength(1);
    expect(body.sources.map((s) => s.kind)).toEqual(['directory', 'directory', 'upload']);
  });
});

describe('GET /api/v1/checkpoints/:id', () => {
  it('gives the summary and the process tree with command lines, secrets masked', async () => {
    const { status, body } = await call<InspectionBody>(`/checkpoints/${id(NGINX1)}`);
    expect(status).toBe(200);
    expect(body.checkpoint.sizes.total).toBe(statSync(fixture('podman', 'nginx-webserver-1.tar')).size);
    expect(body.processes?.map((p) => [p.pid, p.ppid, p.cmdline])).toEqual(
      nginx1.processes.list.map((p) => [p.pid, p.ppid, p.cmdline]),
    );
    const ct = await call<InspectionBody>(`/checkpoints/${id(CTHREADS)}`);
    const token = ct.body.processes?.[0]?.env?.find((e) => e.name === 'API_TOKEN');
    expect(token).toMatchObject({ masked: true });
    expect(JSON.stringify(ct.body)).not.toContain('tok_live_51HfA9xQ2');
  });

  it('builds any of inspect’s views on request, as the facts record them', async () => {
    const views = 'files,sockets,mounts,rootfs,stats,log';
    const { body } = await call<InspectionBody>(`/checkpoints/${id(NGINX2)}?views=${views}`);
    expect(body.stats?.pagesWritten).toBe(nginx2.criu_dump_stats.dump.pages_written);
    expect(body.rootfs?.deleted).toEqual(nginx2.deleted_files.parsed);
    expect(body.rootfs?.changed.map((f) => f.path)).toEqual(
      nginx2.rootfs_diff.members.map((m) => '/' + m.name).sort(),
    );
    expect(body.sockets?.some((s) => s.state === 'LISTEN' && s.local?.endsWith(':8080'))).toBe(true);
    expect(body.files?.map((f) => f.pid)).toEqual([1, 6, 7]);
    expect(body.mounts?.criu.length).toBeGreaterThan(0);
    expect(body.log).toBeDefined();
  });

  it('narrows to one process with ?pid, and refuses a pid that is not one', async () => {
    const one = await call<InspectionBody>(`/checkpoints/${id(NGINX1)}?views=processes,cmdline&pid=6`);
    expect(one.body.processes?.map((p) => p.pid)).toEqual([6]);
    const bad = await call<ErrorAnswer>(`/checkpoints/${id(NGINX1)}?pid=six`);
    expect(bad.status).toBe(400);
    const unknown = await call<ErrorAnswer>(`/checkpoints/${id(NGINX1)}?pid=99`);
    expect(unknown.status).toBe(404);
  });

  it('refuses an unknown view with a usage error', async () => {
    const { status, body } = await call<ErrorAnswer>(`/checkpoints/${id(NGINX1)}?views=processes,bogus`);
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: 'usage', message: 'unknown view bogus' });
  });

  it('answers a bad archive with a JSON error naming it', async () => {
    const { status, body } = await call<ErrorAnswer>(`/checkpoints/${id('d0/garbage.tar')}`);
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid-input');
    expect(body.error.message).toContain('garbage.tar');
  });
});

describe('path confinement', () => {
  it.each([
    ['a ../ out of the root', 'd0/../../../../etc/passwd'],
    ['a ../ into a sibling', 'd0/../archives/../../x.tar'],
    ['an absolute path', 'd0//etc/passwd'],
    ['an unknown root', 'zz/nginx-webserver-1.tar'],
    ['no root at all', '/etc/passwd'],
    ['a symlink out of the root', 'd0/escape.tar'],
    ['a neighbour of a single archive', 'f0/checkpoint-webserver_default-webserver-2026-11-28T16:03:10Z.tar'],
  ])('refuses %s', async (_what, bad) => {
    for (const path of [
      `/checkpoints/${id(bad)}`,
      `/checkpoints/${id(bad)}/memory`,
      `/diff?a=${id(bad)}&b=${id(NGINX1)}`,
    ]) {
      const { status, body } = await call<ErrorAnswer>(path);
      expect(status).toBe(400);
      expect(body.error.message).toContain('not a checkpoint this dashboard serves');
    }
  });

  it('refuses a ../ in the URL path itself too (it never reaches a file)', async () => {
    const response = await fetch(`${ui.url}api/v1/checkpoints/d0%2F..%2F..%2Fpackage.json`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(response.status).toBe(400);
  });
});

describe('auth', () => {
  it('refuses every API call without the token, or with a wrong one', async () => {
    for (const token of [null, 'wrong-token-0123456789abcdef']) {
      const { status, body } = await call<ErrorAnswer>('/checkpoints', { token });
      expect(status).toBe(401);
      expect(body.error.code).toBe('auth');
      expect(body.error.hint).toContain('token');
    }
  });

  it('trades the token in the URL for cookies, and then wants the CSRF header on a POST', async () => {
    const landing = await fetch(`${ui.url}?token=${TOKEN}`, { redirect: 'manual' });
    expect(landing.status).toBe(303);
    expect(landing.headers.get('location')).toBe('/');
    const cookies = landing.headers.getSetCookie();
    expect(cookies.find((c) => c.startsWith('kcr_session='))).toMatch(/HttpOnly/i);
    expect(cookies.every((c) => /SameSite=Strict/i.test(c))).toBe(true);
    const jar = cookies.map((c) => c.split(';')[0]).join('; ');
    const csrf = /kcr_csrf=([^;]+)/.exec(jar)![1]!;

    expect((await call('/checkpoints', { token: null, headers: { cookie: jar } })).status).toBe(200);
    const reveal = { method: 'POST', body: JSON.stringify({ pid: 1 }) };
    const without = await call<ErrorAnswer>(`/checkpoints/${id(CTHREADS)}/reveal`, {
      ...reveal,
      token: null,
      headers: { cookie: jar },
    });
    expect(without.status).toBe(401);
    expect(without.body.error.message).toContain('x-kcr-csrf');
    const crossSite = await call<ErrorAnswer>(`/checkpoints/${id(CTHREADS)}/reveal`, {
      ...reveal,
      token: null,
      headers: { cookie: jar, 'x-kcr-csrf': csrf, origin: 'https://evil.example' },
    });
    expect(crossSite.status).toBe(401);
    const ok = await call<RevealBody>(`/checkpoints/${id(CTHREADS)}/reveal`, {
      ...reveal,
      token: null,
      headers: { cookie: jar, 'x-kcr-csrf': csrf },
    });
    expect(ok.status).toBe(200);
  });

  it('refuses a wrong token in the URL, and a Host that is not loopback (DNS rebinding)', async () => {
    expect((await fetch(`${ui.url}?token=nope`, { redirect: 'manual' })).status).toBe(401);
    // fetch may not set Host; a rebinding page's request carries the attacker's name in it.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(
        `${ui.url}api/v1/checkpoints`,
        { headers: { host: `evil.example:${ui.port}`, authorization: `Bearer ${TOKEN}` } },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.on('error', reject).end();
    });
    expect(status).toBe(401);
  });

  it('serves the web client without the token (it holds no data) with a strict CSP', async () => {
    const page = await fetch(ui.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app">');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });

  it('on a non-loopback address, still refuses a call without the token', async () => {
    const open = await startDashboard({ paths: [fixture('podman')], host: '0.0.0.0', port: 0, token: TOKEN });
    try {
      const url = `http://127.0.0.1:${open.port}/api/v1/checkpoints`;
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    } finally {
      await open.close();
    }
  });
});

describe('POST /api/v1/checkpoints/:id/reveal', () => {
  it('shows one process’s environment unmasked, and logs that it did', async () => {
    const { body } = await call<RevealBody>(`/checkpoints/${id(CTHREADS)}/reveal`, {
      method: 'POST',
      body: JSON.stringify({ pid: 1 }),
    });
    expect(body.env.map((e) => e.name).sort()).toEqual([...cthreads.processes.list[0]!.env_names].sort());
    expect(body.env.find((e) => e.name === 'API_TOKEN')?.value).toBe('tok_live_51HfA9xQ2');
    expect(log).toContain(`revealed the environment of pid 1 in ${CTHREADS}`);
  });

  it('refuses a body that is not {pid}', async () => {
    const { status, body } = await call<ErrorAnswer>(`/checkpoints/${id(CTHREADS)}/reveal`, {
      method: 'POST',
      body: JSON.stringify({ pid: 'one' }),
    });
    expect(status).toBe(400);
    expect(body.error.message).toContain('pid');
  });
});

describe('GET /api/v1/checkpoints/:id/rootfs/file', () => {
  it('gives a text file of rootfs-diff.tar', async () => {
    const { body } = await call<RootfsFileBody>(
      `/checkpoints/${id(CTHREADS)}/rootfs/file?path=/data/journal.log`,
    );
    expect(body).toMatchObject({ path: '/data/journal.log', size: 260, binary: false, truncated: false });
    expect(body.text).toHaveLength(260);
  });

  it('answers a missing file with a 404 JSON error', async () => {
    const { status, body } = await call<ErrorAnswer>(`/checkpoints/${id(CTHREADS)}/rootfs/file?path=/nope`);
    expect(status).toBe(404);
    expect(body.error.code).toBe('not-found');
  });
});

describe('memory', () => {
  it('maps every process’s mappings with the pages the dump holds', async () => {
    const { body } = await call<MemoryBody>(`/checkpoints/${id(NGINX1)}/memory`);
    expect(body.processes.map((p) => [p.pid, p.vmaCount, p.dumpedBytes / 4096])).toEqual(
      nginx1.processes.list.map((p) => [p.pid, p.vma_count, p.dumped_pages]),
    );
    const heap = nginx1.memory_strings.hits[0]!.vma.split('-').map((a) => '0x' + a);
    expect(body.processes[0]!.mappings.find((m) => m.start === heap[0])).toMatchObject({
      end: heap[1],
      kind: 'heap',
    });
  });

  it('reads bytes at an address: the facts’ string is there', async () => {
    const hit = nginx1.memory_strings.hits.find((h) => h.string === 'HOSTNAME=webserver')!;
    const { body } = await call<MemoryReadBody>(
      `/checkpoints/${id(NGINX1)}/memory/${hit.pid}?address=${hit.vaddr}&length=${hit.string.length}`,
    );
    expect(Buffer.from(body.data, 'base64').toString()).toBe(hit.string);
    expect(body.missing).toEqual([]);
  });

  it.each([
    ['a length over the limit', '?address=0x5611dcf81789&length=999999', 400],
    ['an address that is not hex', '?address=zz&length=16', 400],
    ['an address outside every mapping', '?address=0x10&length=16', 404],
  ])('refuses %s', async (_what, query, status) => {
    const answer = await call<ErrorAnswer>(`/checkpoints/${id(NGINX1)}/memory/1${query}`);
    expect(answer.status).toBe(status);
    expect(answer.body.error.message).toBeTruthy();
  });

  it('streams the search hits the facts list, then done', async () => {
    const marker = 'KCR-MARKER-7f3a9c';
    const got = await events(`/checkpoints/${id(CTHREADS)}/memory/search?kind=string&value=${marker}`);
    const hits = got
      .filter(([e]) => e === 'hit')
      .map(([, d]) => d as { pid: number; address: string; match: string });
    const want = cthreads.memory_strings.hits.filter((h) => h.string === marker);
    expect(hits.map((h) => [h.pid, h.address])).toEqual(want.map((h) => [h.pid, h.vaddr]));
    expect(Buffer.from(hits[0]!.match, 'base64').toString()).toBe(marker);
    expect(got.at(-1)).toEqual(['done', expect.objectContaining({ hits: want.length, limited: false })]);
  });

  it('searches hex and regex too, and answers a bad regex in the stream', async () => {
    const hex = Buffer.from('KCR-MARKER').toString('hex');
    const byHex = await events(`/checkpoints/${id(CTHREADS)}/memory/search?kind=hex&value=${hex}&pid=1`);
    expect(byHex.filter(([e]) => e === 'hit').length).toBeGreaterThan(0);
    const byRegex = await events(
      `/checkpoints/${id(CTHREADS)}/memory/search?kind=regex&value=tok_live_%5Cw%2B`,
    );
    expect(byRegex.filter(([e]) => e === 'hit').length).toBeGreaterThan(0);
    const bad = await events(`/checkpoints/${id(CTHREADS)}/memory/search?kind=regex&value=(`);
    expect(bad).toEqual([['failed', expect.objectContaining({ code: 'invalid-input' })]]);
  });
});

describe('secrets and diff', () => {
  it('finds the API token, masked', async () => {
    const { body } = await call<SecretsBody>(`/checkpoints/${id(CTHREADS)}/secrets`);
    const token = body.findings.find((f) => f.name === 'API_TOKEN');
    expect(token).toMatchObject({ masked: true, source: 'env' });
    expect(JSON.stringify(body)).not.toContain('tok_live_51HfA9xQ2');
  });

  it('diffs the two nginx checkpoints: the deleted file, the added one', async () => {
    const { body } = await call<DiffBody>(`/diff?a=${id(NGINX1)}&b=${id(NGINX2)}`);
    expect(body.rootfs.deleted).toEqual(nginx2.deleted_files.parsed);
    expect(body.rootfs.added.map((e) => e.path)).toEqual(['/usr/share/nginx/html/extra.html']);
  });

  it('refuses a diff of two different containers unless forced', async () => {
    const refused = await call<ErrorAnswer>(`/diff?a=${id(NGINX1)}&b=${id(CTHREADS)}`);
    expect(refused.status).toBe(409);
    const forced = await call<DiffBody>(`/diff?a=${id(NGINX1)}&b=${id(CTHREADS)}&force=1`);
    expect(forced.status).toBe(200);
  });
});

describe('restore without a cluster', () => {
  it('says what is missing, and refuses to start', async () => {
    const status = await call<RestoreStatusBody>('/restore');
    expect(status.body).toMatchObject({
      available: false,
      missing: { message: expect.stringContaining('kubeconfig') },
    });
    const start = await call<ErrorAnswer>(`/checkpoints/${id(NGINX1)}/restore`, {
      method: 'POST',
      body: JSON.stringify({ registry: '127.0.0.1:5000/checkpoints' }),
    });
    expect(start.status).toBe(404);
    expect(start.body.error.hint).toContain('--kubeconfig');
  });
});

describe('POST /api/v1/uploads', () => {
  it('stores an upload 0600, opens it, and lists it', async () => {
    const bytes = new Uint8Array(await readFile(fixture('podman', 'busybox-counter.tar')));
    const { status, body } = await call<UploadBody>('/uploads', {
      method: 'POST',
      body: bytes,
      headers: { 'x-kcr-filename': 'counter.tar' },
    });
    expect(status).toBe(201);
    expect(body.checkpoint).toMatchObject({
      id: 'upload/counter.tar',
      origin: 'upload',
      container: 'counter',
    });
    const dir = (await call<CheckpointList>('/checkpoints')).body.sources.find(
      (s) => s.kind === 'upload',
    )!.location;
    expect(statSync(join(dir, 'counter.tar')).mode & 0o777).toBe(0o600);
    const again = await call<UploadBody>('/uploads', {
      method: 'POST',
      body: bytes,
      headers: { 'x-kcr-filename': 'counter.tar' },
    });
    expect(again.body.checkpoint.id).toBe('upload/counter-2.tar');
    const inspected = await call<InspectionBody>(`/checkpoints/${id('upload/counter.tar')}`);
    expect(inspected.status).toBe(200);
  });

  it('refuses an archive it cannot read, and keeps nothing of it', async () => {
    const { status, body } = await call<ErrorAnswer>('/uploads', {
      method: 'POST',
      body: 'not an archive'.repeat(100),
      headers: { 'x-kcr-filename': 'bad.tar' },
    });
    expect(status).toBe(400);
    expect(body.error.message).toContain('bad.tar');
    const dir = (await call<CheckpointList>('/checkpoints')).body.sources.find(
      (s) => s.kind === 'upload',
    )!.location;
    expect((await readdir(dir)).filter((n) => n.startsWith('bad') || n.endsWith('.part'))).toEqual([]);
  });

  it('refuses a name that is not an archive name', async () => {
    for (const name of ['../x.tar', 'x.txt', '.hidden.tar']) {
      const { status } = await call<ErrorAnswer>('/uploads', {
        method: 'POST',
        body: 'x',
        headers: { 'x-kcr-filename': name },
      });
      expect(status).toBe(400);
    }
  });

  it('removes the uploads when it closes, unless they are kept', async () => {
    const kept = join(work.dir, 'kept');
    const temp = await startDashboard({ paths: [], port: 0, token: TOKEN });
    const keep = await startDashboard({ paths: [], port: 0, token: TOKEN, uploadsDir: kept });
    const dirOf = async (d: Dashboard) => {
      const r = await fetch(`${d.url}api/v1/checkpoints`, { headers: { authorization: `Bearer ${TOKEN}` } });
      return ((await r.json()) as CheckpointList).sources.find((s) => s.kind === 'upload')!.location;
    };
    const [tempDirPath, keptPath] = [await dirOf(temp), await dirOf(keep)];
    await Promise.all([temp.close(), keep.close()]);
    expect(existsSync(tempDirPath)).toBe(false);
    expect(existsSync(keptPath)).toBe(true);
  });
});
