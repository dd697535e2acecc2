/**
 * The browser side of the browser tests: Debian's Chromium (`/usr/bin/chromium`, installed by
 * scripts/setup.sh; never downloaded), headless, with WebGPU. Without a GPU, Chromium's WebGPU
 * runs on SwiftShader (a CPU Vulkan). The flags keep it from reaching Google's hosts; every launch
 * gets a fresh profile. `FUSION_CHROMIUM` names another binary.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';

export const CHROMIUM = process.env.FUSION_CHROMIUM ?? '/usr/bin/chromium';

/** WebGPU on any adapter (SwiftShader without a GPU), unrounded timestamps, no network chatter. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-webgpu-developer-features',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-default-apps',
  '--disable-extensions',
];

/** Launches headless Chromium with a fresh profile; `close()` also removes the profile. */
export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'fusion-chromium-'));
  let browser: Browser;
  try {
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, userDataDir: profile, args: CHROMIUM_FLAGS, protocolTimeout: 600_000 });
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw new Error(`cannot start ${CHROMIUM} (install it with scripts/setup.sh, or set FUSION_CHROMIUM): ${(e as Error).message}`);
  }
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
