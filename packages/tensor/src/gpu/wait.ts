/**
 * Waiting for the GPU without stealing its CPU. Dawn's node bindings poll their pending promises
 * by rescheduling `setImmediate` in a tight loop, which keeps one core at 100% for as long as a
 * readback waits. On a CPU adapter (lavapipe runs the kernels on the same cores) that takes a
 * third of a 2-core machine from the work being waited for. While Fusion awaits a device promise,
 * the global setImmediate is replaced by a 1 ms timer, so the poll runs about a thousand times
 * a second instead of continuously; it is restored as soon as no wait is pending.
 */
import { deviceLostError } from './device-lost.js';

const nativeSetImmediate = globalThis.setImmediate;
let pendingWaits = 0;

function throttledSetImmediate<A extends unknown[]>(callback: (...args: A) => void, ...args: A): NodeJS.Immediate {
  return setTimeout(callback, 1, ...args) as unknown as NodeJS.Immediate;
}

/**
 * Awaits a promise from the device (map, work done, error scope) with throttled polling. A
 * promise that fails because the device was lost rejects with a DeviceLostError.
 */
export async function gpuWait<T>(promise: Promise<T>): Promise<T> {
  if (typeof nativeSetImmediate !== 'function') return promise;
  if (pendingWaits++ === 0) globalThis.setImmediate = throttledSetImmediate as typeof setImmediate;
  try {
    return await promise;
  } catch (error) {
    throw deviceLostError() ?? error;
  } finally {
    if (--pendingWaits === 0) globalThis.setImmediate = nativeSetImmediate;
  }
}
