/**
 * Waiting for the GPU: `gpuWait(promise)` awaits a promise from the device (map, work done, error
 * scope). In Node it throttles Dawn's busy poll (see `platform-node.ts`); in a page it is a plain
 * await (`platform-browser.ts`).
 */
export { gpuWait } from '#gpu-platform';
