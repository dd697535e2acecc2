// Prints the WebGPU adapter Dawn finds on this machine as one JSON line and exits 0,
// or prints why none was found and exits 1. Used by setup.sh to decide whether a
// software Vulkan driver is needed.
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
process.env.XDG_RUNTIME_DIR ??= '/tmp';
const gpu = create([]);
const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
if (!adapter) {
  console.log(JSON.stringify({ adapter: null }));
  process.exit(1);
}
const info = adapter.info;
console.log(JSON.stringify({ adapter: { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description } }));
process.exit(0);
