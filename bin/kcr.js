#!/usr/bin/env node
import { main } from '../dist/cli-bundle/bin.js';

await main(process.argv.slice(2));
