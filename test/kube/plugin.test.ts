/**
 * `kubectl kcr ...`: kubectl runs the executable `kubectl-kcr` from PATH with the remaining
 * arguments. The package installs it as a second bin; it is the same CLI.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtBin } from '../../src/testing/built-cli.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const plugin = `${root}bin/kubectl-kcr.js`;

describe('the kubectl plugin', () => {
  it('is installed as the bin kubectl-kcr, executable, with a node shebang', () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin['kubectl-kcr']).toBe('bin/kubectl-kcr.js');
    expect(statSync(plugin).mode & 0o111).not.toBe(0);
    expect(readFileSync(plugin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('runs kcr commands as kubectl would invoke it', { timeout: 180_000 }, () => {
    builtBin('kubectl-kcr');
    const r = spawnSync(plugin, ['setup', 'crio', '--runc-conf'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('\ntcp-established\n');
    const help = spawnSync(plugin, ['checkpoint', '--help'], { encoding: 'utf8' });
    expect(help.stdout).toContain('--kubelet-url');
  });
});
