/**
 * `kcr mem dump --hex` streams into its file: more than 512 MiB of process memory (a real fixture grown with
 * its own pages) goes out as a hexdump while the kcr process stays under 200 MiB of RSS, and
 * the rows for strings planted at known addresses are in the output, byte for byte.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../src/testing/archive-builder.js';
import { builtBin } from '../../src/testing/built-cli.js';
import { fixture } from '../../src/testing/fixtures.js';
import { growPages, type GrownArchive } from '../../src/testing/grow-pages.js';

const GROWN_BYTES = 520 * 1024 * 1024;
const RSS_LIMIT_KIB = 200 * 1024;
const MARKER = 'kcr-hexdump-stream-marker:0123456789abcdefghijklmnopqrstuvwxyz';

const tmp = tempDir();
let grown: GrownArchive;

beforeAll(async () => {
  grown = await growPages({
    source: fixture('podman/cthreads-server.tar'),
    target: join(tmp.path('.'), 'grown.tar'),
    pid: 1,
    bytes: GROWN_BYTES,
    plant: [{ text: MARKER, count: 5 }],
  });
}, 120_000);
afterAll(() => tmp.cleanup());

/** The first full row inside the marker planted at `address`, as `kcr mem dump --hex` prints it. */
function markerRow(address: bigint): Buffer {
  const skip = Number((16n - (address % 16n)) % 16n);
  const bytes = Buffer.from(MARKER).subarray(skip, skip + 16);
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0'));
  const row = (address + BigInt(skip)).toString(16).padStart(12, '0');
  return Buffer.from(
    `\n${row}  ${hex.slice(0, 8).join(' ')}  ${hex.slice(8).join(' ')}  |${bytes.toString()}|\n`,
  );
}

/**
 * Runs the built binary; Node reports its peak RSS (getrusage's ru_maxrss, KiB) on exit, so the
 * measure is the kernel's, not a sample.
 */
function runKcr(args: string[]) {
  const report = `data:text/javascript,import{writeSync}from'node:fs';process.on('exit',()=>writeSync(2,'\\nkcr-maxrss-kib='+process.resourceUsage().maxRSS+'\\n'))`;
  const child = spawn(process.execPath, ['--import', report, builtBin('kcr'), ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise<{ code: number | null; stderr: string; maxRssKiB: number }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stderr, maxRssKiB: Number(/kcr-maxrss-kib=(\d+)/.exec(stderr)?.[1] ?? NaN) }),
    );
  });
}

/** The file flag of `mem dump`: `-o` until the team-wide switch to `--output-file` lands. */
async function outputFlag(): Promise<string> {
  const help = execFileSync(builtBin('kcr'), ['mem', 'dump', '--help'], { encoding: 'utf8' });
  return help.includes('--output-file') ? '--output-file' : '-o';
}

describe('kcr mem dump --hex --output-file', () => {
  it('writes a hexdump of more than 512 MiB of memory to a file with RSS under 200 MiB', async () => {
    const pages = GROWN_BYTES / 4096;
    const header = `\n# ${grown.region.start.toString(16)}-${grown.region.end.toString(16)} rw-p 00000000 (anonymous)  ${pages}/`;
    const wanted = [Buffer.from(header), ...grown.planted[0]!.addresses.map(markerRow)];
    expect(wanted).toHaveLength(6);
    const seen = new Set<number>();
    const out = join(tmp.path('.'), 'grown.hex');
    const run = await runKcr(['mem', 'dump', grown.path, '--pid', '1', '--hex', await outputFlag(), out]);
    expect(run.code, run.stderr).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    let bytes = 0;
    let tail = Buffer.alloc(0);
    const overlap = Math.max(...wanted.map((w) => w.length));
    for await (const chunk of createReadStream(out) as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      const window = Buffer.concat([tail, chunk]);
      wanted.forEach((w, i) => {
        if (!seen.has(i) && window.includes(w)) seen.add(i);
      });
      tail = window.subarray(Math.max(0, window.length - overlap));
    }
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    // Repeated rows collapse to `*`, yet the text is still far more than the RSS allowed.
    expect(bytes).toBeGreaterThan(4 * RSS_LIMIT_KIB * 1024);
    expect(run.maxRssKiB).toBeGreaterThan(0);
    expect(run.maxRssKiB).toBeLessThan(RSS_LIMIT_KIB);
  }, 300_000);
});
