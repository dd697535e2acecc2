/**
 * Builds the demo (`pnpm demo`: build, then preview on http://127.0.0.1:5173). Workspace packages
 * resolve to their TypeScript sources (`source`) and their page builds (`browser`: no Dawn, no
 * node: modules). Two pages: the demo and the kernel self-check.
 */
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const root = import.meta.dirname;

export default defineConfig({
  root,
  base: './',
  resolve: { conditions: ['browser', 'source', 'module', 'development|production'] },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    // TF.js, the benchmark peer, is one large lazy chunk.
    chunkSizeWarningLimit: 4096,
    rolldownOptions: { input: { index: resolve(root, 'index.html'), checks: resolve(root, 'checks.html') } },
  },
  preview: { host: '127.0.0.1', port: 5173 },
});
