import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // TUN/netns tests create namespaces; keep files in one process pool but isolated.
    pool: 'forks',
    reporters: ['default'],
  },
});
