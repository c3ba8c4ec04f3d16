import { defineConfig } from 'vitest/config';

// The fault-injection suite (`npm run test:faults`): slow, starts its own PostgreSQL cluster and
// PRS server processes, so it is not part of `npm test`. Files run one after another.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});
