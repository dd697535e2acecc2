/**
 * The packages bundle for a page: esbuild bundles the entry of @fusion/tensor, @fusion/models and
 * @fusion/train as a browser bundler resolves them (platform browser: the `browser` condition),
 * and nothing of Dawn (npm `webgpu`), no `node:` module and no Node-only package (image codecs,
 * parquet) is left in the bundle, neither as an input nor as an import. The minified, gzipped size
 * of @fusion/tensor (everything it exports) is written to test-results/bundle-size.json.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
/** Node-only modules a page must never get. */
const NODE_ONLY = /(^|\/)(node_modules\/(\.pnpm\/)?(webgpu|pngjs|jpeg-js|hyparquet[^/]*)[@/])|^node:|platform-node|tune-cache-node|safetensors-node|tokenizer\/load\.ts|host-node/;

async function bundle(pkg: string): Promise<{ bytes: Uint8Array; metafile: Metafile }> {
  const result = await build({
    stdin: { contents: `export * from '@fusion/${pkg}';`, loader: 'ts', resolveDir: resolve(root, 'demo') },
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022', conditions: ['source'], minify: true, write: false, metafile: true, logLevel: 'silent',
  });
  return { bytes: result.outputFiles[0].contents, metafile: result.metafile };
}

describe('the packages bundled for a page', () => {
  it.each(['tensor', 'models', 'train'])('@fusion/%s has no Dawn, node: or Node-only module', async (pkg) => {
    const { bytes, metafile } = await bundle(pkg);
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.filter((i) => NODE_ONLY.test(i))).toEqual([]);
    const imports = Object.values(metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
    expect(imports.filter((i) => NODE_ONLY.test(i) || i === 'webgpu')).toEqual([]);
    expect(new TextDecoder().decode(bytes)).not.toMatch(/from\s*["'](node:|webgpu)/);
    // the page's counterparts are what was bundled
    if (pkg === 'tensor') {
      for (const file of ['gpu/platform-browser.ts', 'gpu/tune-cache-browser.ts', 'io/safetensors-browser.ts']) expect(inputs).toContain(`packages/tensor/src/${file}`);
      const gzip = gzipSync(bytes, { level: 9 }).length;
      mkdirSync(resolve(root, 'test-results'), { recursive: true });
      writeFileSync(resolve(root, 'test-results/bundle-size.json'), `${JSON.stringify({ package: '@fusion/tensor', minifiedBytes: bytes.length, gzipBytes: gzip }, null, 2)}\n`);
      console.log(`@fusion/tensor for a page: ${(bytes.length / 1024).toFixed(0)} KiB minified, ${(gzip / 1024).toFixed(0)} KiB gzip`);
    }
  });
});
