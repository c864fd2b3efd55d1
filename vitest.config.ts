import { defineConfig } from 'vitest/config';

// Tests share one real stack (Kafka, Connect, registry, databases): run files one at a time.
export default defineConfig({
  test: {
    include: ['pipeline/test/**/*.test.ts'],
    globalSetup: ['pipeline/test/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
