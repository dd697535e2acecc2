/**
 * The page side of the platform, picked by the `#gpu-platform` import of package.json under the
 * `browser` condition (vite, esbuild and webpack set it for a page): the browser's own WebGPU
 * (`navigator.gpu`) and plain awaits. Same exports, same types as `platform-node.ts`.
 * Dawn flags are the browser's command line, not the page's: any given here are ignored with a
 * warning.
 */
import type * as NodePlatform from './platform-node.js';
import { WEBGPU_BROWSERS } from './webgpu-browsers.js';

/** Which platform this build acquires devices on. */
export const PLATFORM: typeof NodePlatform.PLATFORM = 'browser';

/** What to do when the page gets no WebGPU (the message of `init()`'s error). */
export const NO_ADAPTER_HINT: typeof NodePlatform.NO_ADAPTER_HINT = `This browser gives the page no WebGPU adapter. WebGPU is in ${WEBGPU_BROWSERS.join('; ')}.`;

/** The page's GPU object; throws the hint when the browser has none. */
export const requestGpu: typeof NodePlatform.requestGpu = (flags) => {
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) {
    const insecure = (globalThis as { isSecureContext?: boolean }).isSecureContext === false;
    throw new Error(`${NO_ADAPTER_HINT}${insecure ? ' This page is not a secure context, so navigator.gpu is hidden.' : ' navigator.gpu is undefined.'}`);
  }
  if (flags.length) console.warn(`fusion: Dawn flags are ignored in a page (${flags.join(' ')}); start the browser with them instead`);
  return gpu;
};

/** Awaits a promise from the device: the browser schedules its own polling. */
export const gpuWait: typeof NodePlatform.gpuWait = (promise) => promise;
