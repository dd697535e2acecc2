/**
 * The Node side of the platform, picked by the `#gpu-platform` import of package.json (a bundler
 * that targets a page takes `platform-browser.ts` instead, so Dawn never reaches a page):
 *   - `requestGpu(flags)`: Dawn's `GPU` object (npm `webgpu`), with its globals installed and the
 *     Dawn flags the device options give;
 *   - `gpuWait(promise)`: waits for the GPU without stealing its CPU. Dawn's node bindings poll
 *     their pending promises by rescheduling `setImmediate` in a tight loop, which keeps one core
 *     at 100% for as long as a readback waits. On a CPU adapter (lavapipe runs the kernels on the
 *     same cores) that takes a third of a 2-core machine from the work being waited for. While
 *     Fusion awaits a device promise, the global setImmediate is replaced by a 1 ms timer, so the
 *     poll runs about a thousand times a second instead of continuously; it is restored as soon
 *     as no wait is pending.
 */
import { create, globals } from 'webgpu';

/** Which platform this build acquires devices on. */
export const PLATFORM: 'node-dawn' | 'browser' = 'node-dawn';

/** What to do when Dawn finds no adapter. */
export const NO_ADAPTER_HINT =
  'No WebGPU adapter was found. Fusion needs a GPU with Vulkan drivers, or Mesa\'s software Vulkan ' +
  'driver (lavapipe, Mesa >= 24). Run `bash scripts/setup.sh` from the repository root: on ' +
  'Debian 12 it installs mesa-vulkan-drivers from bookworm-backports when no adapter exists.';

/** Dawn's GPU object, created with `flags` (Dawn toggles, see `dawnFlagsFor`). */
export function requestGpu(flags: readonly string[]): GPU {
  if (typeof process !== 'undefined') process.env.XDG_RUNTIME_DIR ??= '/tmp';
  Object.assign(globalThis, globals);
  return create([...flags]);
}

const nativeSetImmediate = globalThis.setImmediate;
let pendingWaits = 0;

function throttledSetImmediate<A extends unknown[]>(callback: (...args: A) => void, ...args: A): NodeJS.Immediate {
  return setTimeout(callback, 1, ...args) as unknown as NodeJS.Immediate;
}

/** Awaits a promise from the device (map, work done, error scope) with throttled polling. */
export async function gpuWait<T>(promise: Promise<T>): Promise<T> {
  if (typeof nativeSetImmediate !== 'function') return promise;
  if (pendingWaits++ === 0) globalThis.setImmediate = throttledSetImmediate as typeof setImmediate;
  try {
    return await promise;
  } finally {
    if (--pendingWaits === 0) globalThis.setImmediate = nativeSetImmediate;
  }
}
