/**
 * The README's @fusion/tensor example, unchanged, in a page: the code block under "Using
 * `@fusion/tensor` as a library" is bundled for the browser by esbuild (the `browser` condition:
 * `navigator.gpu`, no Dawn) and run in Chromium; what it logs is the gradient of
 * sum(relu(A A)) at A = [[1, 2], [3, 4]], computed by hand: G A^T + A^T G with G = ones,
 * [[3, 7], [3, 7]] + [[4, 4], [6, 6]] = [[7, 11], [9, 13]].
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { disconnect, openDemo } from './page.js';

afterAll(disconnect);

const root = resolve(import.meta.dirname, '../..');

/** The first ts code block after the heading that introduces @fusion/tensor as a library. */
function readmeExample(): string {
  const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Using `@fusion/tensor` as a library'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('README.md: no ts block under "Using `@fusion/tensor` as a library"');
  return match[1];
}

describe('the README example in Chromium', () => {
  it('runs unchanged and logs the gradient computed by hand', async () => {
    const code = readmeExample();
    expect(code).toMatch(/from '@fusion\/tensor'/);
    const bundle = await build({
      stdin: { contents: code, loader: 'ts', resolveDir: resolve(root, 'packages/models'), sourcefile: 'README.md example' },
      bundle: true, format: 'esm', platform: 'browser', target: 'es2022', conditions: ['browser', 'source'], write: false, logLevel: 'silent',
    });
    const { page, errors } = await openDemo('checks.html?manual');
    const logged: Promise<unknown>[] = [];
    page.on('console', (m) => {
      // The values of what was logged (a typed array's text would be just "Float32Array(4)").
      if (m.type() === 'log' && m.args()[0]) logged.push(m.args()[0].evaluate((v) => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v)));
    });
    const failed = new Promise<never>((_, reject) => page.once('pageerror', (e) => reject(e)));
    failed.catch(() => undefined);
    await page.addScriptTag({ content: `${bundle.outputFiles[0].text}\nwindow.__readmeDone = true;`, type: 'module' });
    await Promise.race([page.waitForFunction(() => (window as unknown as { __readmeDone?: boolean }).__readmeDone === true, { timeout: 120_000 }), failed]);
    expect(await Promise.all(logged)).toEqual([[7, 11, 9, 13]]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
