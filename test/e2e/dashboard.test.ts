/**
 * The dashboard in a real Chromium (Debian's, driven by playwright-core), against the real
 * fixtures and their facts: open a checkpoint, expand the process tree, search memory and land
 * in the hex view on the hit, diff the two nginx checkpoints, and be refused without the token on
 * a non-loopback address. One browser for the whole file; a screenshot of every page goes to
 * test-results/dashboard/ to look at.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type Dashboard } from '../../src/server/index.js';
import { fixture, loadFacts } from '../../src/testing/fixtures.js';

const SHOTS = fileURLToPath(new URL('../../test-results/dashboard/', import.meta.url));
const TOKEN = 'e2e-token-0123456789abcdef';
const NGINX1 = 'd0/nginx-webserver-1.tar';
const NGINX2 = 'd0/nginx-webserver-2.tar';
const CTHREADS = 'd0/cthreads-server.tar';
const nginx1 = loadFacts('nginx-webserver-1.facts.json');
const nginx2 = loadFacts('nginx-webserver-2.facts.json');
const cthreads = loadFacts('cthreads-server.facts.json');

let ui: Dashboard;
let browser: Browser;
let page: Page;

const hash = (value: string) => encodeURIComponent(value);
/** Waits for the page to show it; generous, because CI machines are busy. */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 20_000, interval: 50 });
const shot = (name: string) => page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  ui = await startDashboard({
    paths: [fixture('podman')],
    port: 0,
    token: TOKEN,
    env: { HOME: '/nonexistent' },
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(15_000);
});

afterAll(async () => {
  await browser?.close();
  await ui?.close();
});

describe('the dashboard in Chromium', () => {
  it('signs in with the printed URL and lists the checkpoints, sortable and filterable', async () => {
    await page.goto(ui.loginUrl);
    // The token left the address bar: it lives in an HttpOnly cookie now.
    expect(page.url()).toBe(ui.url);
    const rows = page.locator('tbody tr');
    await poll(() => rows.count()).toBe(5);
    await page.getByLabel('Filter').fill('nginx');
    await poll(() => rows.count()).toBe(2);
    await page.getByRole('button', { name: 'Size' }).click();
    await poll(() => rows.first().locator('a').textContent()).toBe('nginx-webserver-1.tar');
    await page.getByRole('button', { name: /Size/ }).click();
    await poll(() => rows.first().locator('a').textContent()).toBe('nginx-webserver-2.tar');
    await shot('checkpoints');
  });

  it('opens a fixture by keyboard and shows the nginx worker’s cmdline in the process tree', async () => {
    await page.getByRole('link', { name: 'nginx-webserver-1.tar' }).focus();
    await page.keyboard.press('Enter');
    await poll(() => page.locator('h1').textContent()).toContain('webserver');
    const worker = nginx1.processes.list.find((p) => p.cmdline[0] === 'nginx: worker process')!;
    const toggle = page.locator(`li.proc[data-pid="${worker.pid}"] > button.proc-toggle`);
    await toggle.focus();
    await page.keyboard.press('Enter');
    await poll(() => toggle.getAttribute('aria-expanded')).toBe('true');
    const detail = page.locator(`li.proc[data-pid="${worker.pid}"] > .proc-detail`);
    expect(await detail.locator('code.cmdline').textContent()).toBe(worker.cmdline.join(' '));
    // Its open files come with it: fd 3 is the access log, as the facts say.
    await poll(() => detail.getByText('/var/log/nginx/access.log').count()).toBeGreaterThan(0);
    // Rootfs changes open to a text viewer.
    await page.locator('details.section', { hasText: 'Rootfs changes' }).locator('summary').click();
    await page.getByRole('button', { name: '/var/log/nginx/access.log' }).click();
    const text = page.locator('pre.file-text');
    await poll(() => text.textContent()).toContain('fixture-client/1.0');
    await page.locator('details.section', { hasText: 'Dump statistics' }).locator('summary').click();
    await poll(() => page.locator('.bar-row').count()).toBe(8);
    await shot('detail');
  });

  it('searches memory for the marker and shows it in the hex view at the facts’ address', async () => {
    const marker = 'KCR-MARKER-7f3a9c';
    const want = cthreads.memory_strings.hits.filter((h) => h.string === marker);
    await page.goto(`${ui.url}#/c/${hash(CTHREADS)}/memory`);
    const search = page.getByRole('searchbox', { name: 'Search for' });
    await search.fill(marker);
    await search.press('Enter');
    const hits = page.locator('ol.hits button');
    await poll(() => page.getByRole('status').last().textContent()).toContain(`${want.length} hits in`);
    expect(await hits.count()).toBe(want.length);
    await hits.first().click();
    const first = page.locator(`.hex-row[data-address="${want[0]!.vaddr}"]`);
    await poll(() => first.count()).toBe(1);
    // The highlighted bytes are the marker's, once the page of memory has arrived.
    await poll(async () => (await page.locator('.hex-bytes .hit').allTextContents()).join('')).toBe(
      Buffer.from(marker).toString('hex'),
    );
    await shot('memory');
    // Choosing the hit moved the focus to the hex view, which pages by keyboard.
    const grid = page.locator('.hex-grid');
    await poll(() => grid.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    const top = await page.locator('.hex-row').first().getAttribute('data-address');
    await page.keyboard.press('PageDown');
    await poll(async () =>
      BigInt((await page.locator('.hex-row').first().getAttribute('data-address'))!),
    ).toBe(BigInt(top!) + BigInt(24 * 16));
  });

  it('diffs the two webserver checkpoints and shows the deleted file', async () => {
    await page.goto(`${ui.url}#/diff?a=${hash(NGINX1)}&b=${hash(NGINX2)}`);
    const deleted = page.locator('.change.removed', { hasText: 'Deleted' });
    await poll(() => deleted.locator('li').allTextContents()).toEqual(nginx2.deleted_files.parsed);
    await poll(() => page.locator('.change.added li').first().textContent()).toContain('extra.html');
    await poll(() => page.getByLabel('B (newer)').inputValue()).toBe(NGINX2);
    await shot('diff');
  });

  it('shows secrets masked, and explains what restore needs without a kubeconfig', async () => {
    await page.goto(`${ui.url}#/c/${hash(CTHREADS)}/secrets`);
    const masked = page.locator('td.masked');
    await poll(() => masked.count()).toBeGreaterThan(0);
    expect(await page.content()).not.toContain('tok_live_51HfA9xQ2');
    await shot('secrets');
    await page.goto(`${ui.url}#/c/${hash(CTHREADS)}/restore`);
    await poll(() => page.locator('.explain').textContent()).toContain('no kubeconfig');
    await shot('restore');
  });

  it('opens an uploaded archive in place', async () => {
    await page.goto(ui.url);
    await page.locator('input[type=file]').setInputFiles(fixture('podman', 'busybox-counter.tar'));
    await poll(() => page.url()).toBe(`${ui.url}#/c/${hash('upload/busybox-counter.tar')}`);
    await poll(() => page.locator('h1').textContent()).toContain('counter');
  });

  it('fits a narrow window', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(`${ui.url}#/c/${hash(NGINX1)}`);
    await poll(() => page.locator('li.proc').count()).toBe(nginx1.processes.list.length);
    // A string: this file is type-checked without the DOM library.
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('detail-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('refuses API calls without the token when listening on a non-loopback address', async () => {
    const open = await startDashboard({ paths: [fixture('podman')], host: '0.0.0.0', port: 0, token: TOKEN });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const fresh = await context.newPage();
      const base = `http://127.0.0.1:${open.port}/`;
      const api = await fresh.request.get(`${base}api/v1/checkpoints`);
      expect(api.status()).toBe(401);
      await fresh.goto(base);
      await poll(() => fresh.getByRole('alert').textContent()).toContain('needs its token');
      await fresh.screenshot({ path: `${SHOTS}no-token.png` });
      await fresh.goto(`${base}?token=${TOKEN}`);
      await poll(() => fresh.locator('tbody tr').count()).toBe(5);
    } finally {
      await context.close();
      await open.close();
    }
  });
});
