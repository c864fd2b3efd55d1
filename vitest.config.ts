import { defineConfig } from 'vitest/config';

/**
 * Two tiers. `unit`: no server of any kind, runs in seconds. `stack`: files named `*.stack.test.ts`,
 * which need the real stack (Kafka, Connect, registry, databases); its global setup brings the
 * local stack up when it is not healthy and stops afterwards only what it started. Stack tests
 * share that one stack: their files run one at a time.
 */
export default defineConfig({
  test: {
    // Vitest exits this long after the runs end even if a global teardown is still going: the
    // stack tier's teardown stops Kafka, Connect and databases, each given up to 20 s.
    teardownTimeout: 180_000,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['pipeline/test/**/*.test.ts'],
          exclude: ['pipeline/test/**/*.stack.test.ts'],
        },
      },
      {
        test: {
          name: 'stack',
          include: ['pipeline/test/**/*.stack.test.ts'],
          globalSetup: ['pipeline/test/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
