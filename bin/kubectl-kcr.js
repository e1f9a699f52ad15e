#!/usr/bin/env node
// kubectl plugin entry point: `kubectl kcr checkpoint ...` runs `kcr checkpoint ...`.
import { main } from '../dist/cli-bundle/bin.js';

await main(process.argv.slice(2));
