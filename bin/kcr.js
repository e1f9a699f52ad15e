#!/usr/bin/env node
// A command line that starts with a command built as one file (dist/cli-bundle/fast-NAME.js: mem,
// secrets, show, inspect) runs that file, which starts sooner; every other runs the full CLI.
import { existsSync } from 'node:fs';

const argv = process.argv.slice(2);
const fast = /^[a-z]+$/.test(argv[0] ?? '')
  ? new URL(`../dist/cli-bundle/fast-${argv[0]}.js`, import.meta.url)
  : undefined;
const { main } = await import(fast && existsSync(fast) ? fast.href : '../dist/cli-bundle/bin.js');

await main(argv);
