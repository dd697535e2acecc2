/**
 * The machine of a benchmark run in a page, picked by the `#bench-host` import of package.json
 * under the `browser` condition: what the browser tells (logical CPUs; memory rounded by Chrome's
 * `navigator.deviceMemory`, 0 when unknown). A page writes no files.
 */
import type * as NodeHost from './host-node.js';

/** CPU count and memory in bytes as far as the page can know them. */
export const hostMachine: typeof NodeHost.hostMachine = () => {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number; deviceMemory?: number } }).navigator;
  return { cpus: nav?.hardwareConcurrency ?? 0, memory: (nav?.deviceMemory ?? 0) * 2 ** 30 };
};

export const writeTextFile: typeof NodeHost.writeTextFile = (path) => {
  throw new Error(`${path}: a page cannot write files; the report is shown in the page`);
};

export const unusedPath: typeof NodeHost.unusedPath = (path) => path;
