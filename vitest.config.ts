import { defineConfig } from 'vitest/config';
import { defaultServerConditions, defaultClientConditions } from 'vite';

// Workspace packages resolve to their TypeScript sources through the `source` export condition,
// so tests run without a build.
// Two projects: "node" (everything on Dawn in Node) and "browser" (demo/test: the demo and the
// packages in headless Chromium). The browser project runs after the node one, its files one at a
// time (they share one Chromium, started by its global setup only when a browser test is selected).
export default defineConfig({
  resolve: { conditions: ['source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['source', ...defaultServerConditions], externalConditions: ['source'] } },
  test: {
    // CI asks for a JSON report beside the usual output (see .ci/run).
    reporters: process.env.FUSION_TEST_REPORT ? ['default', 'json'] : ['default'],
    outputFile: process.env.FUSION_TEST_REPORT ? { json: process.env.FUSION_TEST_REPORT } : undefined,
    // tests see the heuristics, never a tuning cache left in ~/.cache by `pnpm bench tune`
    env: { FUSION_TUNE_CACHE: 'off' },
    testTimeout: 180_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'bench/**/*.test.ts', 'test/**/*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['demo/test/**/*.test.ts'],
          globalSetup: ['demo/test/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 300_000,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
