/**
 * The kernels in a real browser: the self-check page (demo/checks.html) runs matmul and conv2d,
 * forward and backward, on Chromium's WebGPU for every GEMM variant the adapter runs, against
 * the float64 references of @fusion/kernels (|error| <= 1e-4 + 1e-4 |expected| per element, the
 * Node tests' tolerance), and leaves no tensor alive.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { BROWSER_OUTPUT, disconnect, openDemo } from './page.js';

afterAll(disconnect);

interface CheckResult {
  name: string;
  variant: string;
  maxAbsError: number;
  passed: boolean;
  error?: string;
}

describe('kernels in Chromium', () => {
  it('matmul and conv2d with their backward match float64 for every GEMM variant', async () => {
    const { page, errors } = await openDemo('checks.html');
    await page.waitForFunction(() => ['passed', 'failed', 'no-webgpu'].includes(document.getElementById('checks')!.dataset.state ?? ''), { timeout: 540_000, polling: 500 });
    const adapter = await page.evaluate(() => window.fusionChecks.adapter);
    expect(adapter, 'the page got a WebGPU adapter').toMatch(/^WebGPU adapter: /);
    const results = (await page.evaluate(() => window.fusionChecks.results)) as CheckResult[];
    await page.screenshot({ path: join(BROWSER_OUTPUT, 'checks.png'), fullPage: true });
    const failed = results.filter((r) => !r.passed).map((r) => `${r.name} [${r.variant}]: ${r.error}`);
    expect(failed).toEqual([]);
    const variants = new Set(results.map((r) => r.variant));
    expect(variants.has('tiled') && variants.has('direct'), `variants run: ${[...variants].join(', ')}`).toBe(true);
    expect(results.filter((r) => r.name.startsWith('matmul')).length).toBeGreaterThanOrEqual(3 * 2);
    expect(results.filter((r) => r.name.startsWith('conv2d')).length).toBeGreaterThanOrEqual(5 * 2);
    expect(errors).toEqual([]);
    await page.close();
  });
});
