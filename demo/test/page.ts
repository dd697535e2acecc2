/**
 * What a browser test file needs: the shared Chromium (connected once per file), a page on the
 * demo that records every console error and uncaught exception, and the output folder where
 * screenshots and measured numbers are kept (`test-results/browser/`, gitignored).
 */
import { resolve } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { inject } from 'vitest';

/** Screenshots and numbers of the browser tests. */
export const BROWSER_OUTPUT = resolve(import.meta.dirname, '../../test-results/browser');

/** A page with its console errors and uncaught exceptions, as they happen. */
export interface TestPage {
  page: Page;
  errors: string[];
}

let connected: Promise<Browser> | null = null;

/** The shared Chromium of this run (see global-setup.ts). */
export function sharedBrowser(): Promise<Browser> {
  const setupError = inject('browserSetupError');
  if (setupError) return Promise.reject(new Error(`the browser tests could not start: ${setupError}`));
  connected ??= puppeteer.connect({ browserWSEndpoint: inject('chromiumEndpoint'), protocolTimeout: 600_000 });
  return connected;
}

/** Opens `path` of the demo (e.g. 'index.html#train') in a new 1280x900 page. */
export async function openDemo(path: string): Promise<TestPage> {
  const page = await (await sharedBrowser()).newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()} ${m.location()?.url ?? ''}`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${(e as Error).message}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  await page.goto(new URL(path, inject('demoUrl')).href);
  return { page, errors };
}

/** Disconnects this file from the shared browser (the browser keeps running for other files). */
export async function disconnect(): Promise<void> {
  if (connected) await (await connected).disconnect();
  connected = null;
}
