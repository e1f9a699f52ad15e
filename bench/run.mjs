#!/usr/bin/env node
// Runs every bench/*.bench.mjs (or those named on the command line) in turn.
// Each bench prints its own table of timings, peak RSS and ratios against the peer tools.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();
const targets = [];
for (const file of files) {
  console.log(`\n=== ${file} ===`);
  const mod = await import(pathToFileURL(join(here, file)).href);
  const result = await mod.default();
  // A bench may return its headline ratios, each with the target it is held to.
  if (Array.isArray(result)) targets.push(...result);
}
if (targets.length) {
  console.log('\n=== ratios against their targets ===');
  console.table(
    targets.map((t) => ({
      measure: t.what,
      value: t.value,
      target: t.target,
      status: t.met ? 'met' : 'MISSED',
    })),
  );
}
