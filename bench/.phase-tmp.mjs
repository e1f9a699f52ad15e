const t0 = performance.now();
const { withCheckpoint } = await import('../dist/forensics/checkpoint.js');
const { loadMemoryContext } = await import('../dist/forensics/memory/context.js');
const { searchMemory } = await import('../dist/forensics/memory/search.js');
const { compilePattern } = await import('../dist/forensics/memory/patterns.js');
const t1 = performance.now();
const path = process.argv[2];
await withCheckpoint(path, async (cp) => {
  const t2 = performance.now();
  const ctx = await loadMemoryContext(cp);
  const t3 = performance.now();
  const nruns = ctx.processes.map(p => p.memory?.runs.length);
  const r = await searchMemory(cp, ctx, [compilePattern({ kind: 'string', value: process.argv[3] ?? 'KCR-BENCH-NEEDLE-0001' }, 4096)], { countOnly: true });
  const t4 = performance.now();
  console.log({ import: (t1 - t0) | 0, open: (t2 - t1) | 0, context: (t3 - t2) | 0, search: (t4 - t3) | 0, runs: nruns, hits: r.counts, bytes: r.scannedBytes });
});
