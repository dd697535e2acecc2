import { defineConfig } from 'vitest/config';
import { defaultServerConditions, defaultClientConditions } from 'vite';

// Workspace packages resolve to their TypeScript sources through the `source` export condition,
// so tests run without a build.
export default defineConfig({
  resolve: { conditions: ['source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['source', ...defaultServerConditions], externalConditions: ['source'] } },
  test: {
    // CI asks for a JSON report beside the usual output (see .ci/run).
    reporters: process.env.FUSION_TEST_REPORT ? ['default', 'json'] : ['default'],
    outputFile: process.env.FUSION_TEST_REPORT ? { json: process.env.FUSION_TEST_REPORT } : undefined,
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'bench/**/*.test.ts', 'test/**/*.test.ts'],
    // tests see the heuristics, never a tuning cache left in ~/.cache by `pnpm bench tune`
    env: { FUSION_TUNE_CACHE: 'off' },
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
