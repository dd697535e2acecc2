/** The host part of MachineInfo (CPU count, operating system), beside the adapter description the caller brings. */
import os from 'node:os';
import type { MachineInfo } from './types.js';

/** This machine, with `adapter` (the WebGPU adapter's description) as given. */
export function describeMachine(adapter: string): MachineInfo {
  return { adapter, cpus: os.cpus().length, os: `${os.type()} ${os.release()} (${os.platform()}/${os.arch()}), Node ${process.version}` };
}
