/**
 * Waiting for the GPU: `gpuWait(promise)` awaits a promise from the device (map, work done, error
 * scope). In Node it throttles Dawn's busy poll (see `platform-node.ts`); in a page it is a plain
 * await (`platform-browser.ts`). A promise that fails because the device was lost rejects with a
 * DeviceLostError.
 */
import { gpuWait as platformWait } from '#gpu-platform';
import { deviceLostError } from './device-lost.js';

/** Awaits a promise from the device; one that fails because the device was lost rejects with a DeviceLostError. */
export async function gpuWait<T>(promise: Promise<T>): Promise<T> {
  try {
    return await platformWait(promise);
  } catch (error) {
    throw deviceLostError() ?? error;
  }
}
