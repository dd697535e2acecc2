/**
 * Global setup of the browser tests (vitest project "browser"; it runs only when a browser test is
 * selected): builds and serves the demo, and starts one headless Chromium that every browser test
 * file connects to (`inject('chromiumEndpoint')`), so a run starts the browser once. When either
 * cannot start, the reason goes to the tests (`inject('browserSetupError')`), which fail with it,
 * and the rest of the suite runs.
 */
import { mkdirSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { launchChromium } from './chromium.js';
import { serveDemo } from './demo-server.js';
import { BROWSER_OUTPUT } from './page.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The demo's URL, ending in '/'. */
    demoUrl: string;
    /** Chromium's DevTools WebSocket endpoint. */
    chromiumEndpoint: string;
    /** Why the demo or Chromium did not start ('' when they did). */
    browserSetupError: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  mkdirSync(BROWSER_OUTPUT, { recursive: true });
  const closers: (() => Promise<void>)[] = [];
  let error = '';
  try {
    const demo = await serveDemo();
    closers.push(demo.close);
    project.provide('demoUrl', demo.url);
    const chromium = await launchChromium();
    closers.push(chromium.close);
    project.provide('chromiumEndpoint', chromium.browser.wsEndpoint());
  } catch (e) {
    error = (e as Error).message;
  }
  project.provide('browserSetupError', error);
  return async () => {
    for (const close of closers.reverse()) await close();
  };
}
