import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real services (registry, browser, test API server) bind ports; forks keep them isolated per file.
    pool: 'forks',
  },
});
