/**
 * The demo for the browser tests: built by vite into a temporary folder (as `pnpm demo` builds it)
 * and served by vite's preview server on 127.0.0.1 (a secure context, as WebGPU requires) on a free
 * port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build, preview } from 'vite';

const DEMO = resolve(import.meta.dirname, '../../demo');

/** Builds and serves the demo; resolves to its URL (ending in '/') and a close function. */
export async function serveDemo(): Promise<{ url: string; close(): Promise<void> }> {
  const outDir = mkdtempSync(join(tmpdir(), 'fusion-demo-'));
  try {
    await build({ root: DEMO, configFile: join(DEMO, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    const server = await preview({ root: DEMO, configFile: join(DEMO, 'vite.config.ts'), logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port: 0, strictPort: false } });
    const url = server.resolvedUrls?.local[0];
    if (!url) throw new Error('vite preview gave no local URL');
    return {
      url,
      close: async () => {
        await server.close();
        rmSync(outDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(outDir, { recursive: true, force: true });
    throw e;
  }
}
