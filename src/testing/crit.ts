/**
 * The reference decoder: Debian's crit (pycriu). `critDecodeMany` runs pycriu's `images.load`
 * (what `crit decode` calls) over many files in one Python process, because one crit process
 * per image costs a Python start-up each.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export function critAvailable(): boolean {
  return spawnSync('crit', ['--help'], { stdio: 'ignore' }).status === 0;
}

/** `crit decode -i FILE` (no --pretty), parsed losslessly by the caller. */
export function critDecode(file: string): string {
  return execFileSync('crit', ['decode', '-i', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

const SCRIPT = `
import json, sys
from pycriu import images
out = {}
for path in sys.argv[1:]:
    with open(path, 'rb') as f:
        try:
            out[path] = images.load(f, False)
        except Exception as e:
            out[path] = {'error': repr(e)}
json.dump(out, sys.stdout)
`;

/** Decodes every file like `crit decode` does; returns the raw JSON text (big integers intact). */
export function critDecodeMany(files: string[]): string {
  return execFileSync(PYTHON, ['-c', SCRIPT, ...files], { encoding: 'utf8', maxBuffer: 256 << 20 });
}
