/**
 * Global setup of the browser tests (vitest project "browser"; it runs only when a browser test is
 * selected): builds and serves the demo, and starts one headless Chromium that every browser test
 * file connects to (`inject('chromiumEndpoint')`), so a run starts the browser once.
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
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  mkdirSync(BROWSER_OUTPUT, { recursive: true });
  const demo = await serveDemo();
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  try {
    chromium = await launchChromium();
  } catch (e) {
    await demo.close();
    throw e;
  }
  project.provide('demoUrl', demo.url);
  project.provide('chromiumEndpoint', chromium.browser.wsEndpoint());
  return async () => {
    await chromium.close();
    await demo.close();
  };
}
