// Runs a shell command under GNU time and returns wall seconds, CPU seconds (user + sys), peak RSS
// (MiB) and the 1-minute load average when it started: on a shared machine wall time alone says
// little, so every bench prints the CPU time and the load beside it.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';

/** okExit: exit statuses that are answers, not failures (kcr secrets: 3 = found). */
export function measure(command, { repeat = 3, env, okExit = [0] } = {}) {
  let best;
  for (let i = 0; i < repeat; i++) best = bestOf(best, runOnce(command, env, okExit));
  return best;
}

/**
 * Best runs of several commands, taken in turn (a, b, a, b, ...): a ratio of two commands then
 * compares runs made under the same conditions, where back-to-back batches on a machine whose
 * speed drifts from minute to minute (this VM's does, by 10-30%) compare different machines.
 */
export function measureInterleaved(commands, { repeat = 5, env, okExit = [0] } = {}) {
  const best = {};
  for (let i = 0; i < repeat; i++)
    for (const [key, command] of Object.entries(commands))
      best[key] = bestOf(best[key], runOnce(command, env, okExit));
  return best;
}

/** The faster run; peak RSS is the larger of the two. */
function bestOf(best, r) {
  return !best || r.seconds < best.seconds ? { ...r, rssMiB: Math.max(r.rssMiB, best?.rssMiB ?? 0) } : best;
}

/** One run of `command` under GNU time. */
function runOnce(command, env, okExit) {
  const load = loadavg()[0];
  const run = spawnSync(
    '/usr/bin/time',
    ['-f', 'KCRTIME %e %M %U %S', 'bash', '-c', `${command} >/dev/null`],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...env },
      maxBuffer: 1 << 26,
    },
  );
  const line = run.stderr.split('\n').find((l) => l.startsWith('KCRTIME '));
  const status = Number(/Command exited with non-zero status (\d+)/.exec(run.stderr)?.[1] ?? run.status);
  if (!line || !okExit.includes(status))
    throw new Error(`benchmark command failed: ${command}\n${run.stderr}`);
  const [, secs, kb, user, sys] = line.split(' ');
  return {
    seconds: Number(secs),
    rssMiB: Number(kb) / 1024,
    cpuSeconds: Number((Number(user) + Number(sys)).toFixed(2)),
    load: Number(load.toFixed(2)),
  };
}

/** The machine's load averages (1, 5, 15 min), for the line each bench prints before it measures. */
export function loadLine() {
  return `load average: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}`;
}

/** One row of a bench's table: what ran, and what measure() found. */
export function benchRow(way, r) {
  return {
    way,
    'wall s': r.seconds,
    'cpu s': r.cpuSeconds,
    'peak RSS MiB': r.rssMiB.toFixed(0),
    load: r.load,
  };
}

export function printTable(rows) {
  const headers = Object.keys(rows[0]);
  const widths = headers.map((h) => Math.max(h.length, ...rows.map((r) => String(r[h]).length)));
  const line = (vals) => vals.map((v, i) => String(v).padEnd(widths[i])).join('  ');
  console.log(line(headers));
  for (const r of rows) console.log(line(headers.map((h) => r[h])));
}
