/**
 * The one place that acquires the WebGPU adapter and device: from Dawn's node bindings (npm
 * `webgpu`) in Node, from `navigator.gpu` in a page (`#gpu-platform`, see package.json).
 * It asks for the adapter's own limits (storage binding size, workgroup memory, invocations), the
 * optional features the adapter has (`shader-f16`, `subgroups`, `timestamp-query`), and builds the
 * Dawn toggles from one options object. Everything else reads `gpu()`.
 */
import { NO_ADAPTER_HINT, PLATFORM, requestGpu } from '#gpu-platform';
import { clearDeviceLoss, deviceLostError, noteDeviceLost } from './device-lost.js';

export interface DeviceOptions {
  /** Prefer a discrete GPU over an integrated or software one (default true). */
  highPerformance?: boolean;
  /**
   * Turn off Dawn's robustness (bounds clamping) and workgroup zero-initialisation. Faster, but an
   * out-of-bounds access becomes undefined behaviour: an explicit opt-in for trusted kernels.
   */
  disableRobustness?: boolean;
  /**
   * Allow Dawn's experimental features (f16 on NVIDIA's Vulkan driver, subgroup matrices). Needed for
   * the mixed-precision path on NVIDIA; off by default.
   */
  experimental?: boolean;
  /** Extra Dawn flags, appended verbatim (e.g. from FUSION_DAWN_FLAGS, comma separated). */
  dawnFlags?: string[];
}

export interface DeviceInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for a CPU (software) adapter such as Mesa's lavapipe. */
  isSoftware: boolean;
  /** Features enabled on the device. */
  features: string[];
  /** Every feature the adapter offers (the optional ones Fusion uses are enabled when present). */
  adapterFeatures: string[];
  limits: Record<string, number>;
  dawnFlags: string[];
}

export interface FusionGPU {
  /**
   * The GPU object the adapter came from (`navigator.gpu` in a page). In Node it is the Dawn
   * instance, which must stay referenced while the device is used: once it is collected, Dawn
   * stops polling and pending promises (readbacks) never settle, so Node exits mid-await.
   */
  instance: GPU;
  /** Where the device came from: 'node-dawn' or 'browser'. */
  platform: typeof PLATFORM;
  device: GPUDevice;
  info: DeviceInfo;
  hasFeature(name: string): boolean;
}

export const OPTIONAL_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query', 'chromium-experimental-subgroup-matrix'] as const;

const LIMITS_TO_REQUEST = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
] as const;

/** What to do when no adapter is found (in Node: scripts/setup.sh; in a page: which browser and flags). */
export const SETUP_HINT: string = NO_ADAPTER_HINT;

/** Dawn flags for the options: the single source of the toggles Fusion passes to Dawn. */
export function dawnFlagsFor(options: DeviceOptions): string[] {
  const enable: string[] = [];
  const disable: string[] = [];
  if (options.experimental) enable.push('allow_unsafe_apis', 'vulkan_enable_f16_on_nvidia', 'use_vulkan_memory_model');
  if (options.disableRobustness) enable.push('disable_robustness', 'disable_workgroup_init', 'skip_validation');
  if (options.experimental) disable.push('timestamp_quantization');
  const flags: string[] = [];
  if (enable.length) flags.push(`enable-dawn-features=${enable.join(',')}`);
  if (disable.length) flags.push(`disable-dawn-features=${disable.join(',')}`);
  return [...flags, ...(options.dawnFlags ?? [])];
}

/** Options from the environment: FUSION_DAWN_FLAGS, FUSION_UNSAFE_FAST=1, FUSION_EXPERIMENTAL=1. */
export function deviceOptionsFromEnv(env: Record<string, string | undefined> = typeof process === 'undefined' ? {} : process.env): DeviceOptions {
  return {
    disableRobustness: env.FUSION_UNSAFE_FAST === '1',
    experimental: env.FUSION_EXPERIMENTAL === '1',
    dawnFlags: env.FUSION_DAWN_FLAGS ? env.FUSION_DAWN_FLAGS.split(',').filter(Boolean) : [],
  };
}

let current: FusionGPU | null = null;
let pending: Promise<FusionGPU> | null = null;

async function acquire(options: DeviceOptions): Promise<FusionGPU> {
  const flags = dawnFlagsFor(options);
  const gpuApi = requestGpu(flags);
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpuApi.requestAdapter({ powerPreference: options.highPerformance === false ? 'low-power' : 'high-performance' });
  } catch (e) {
    throw new Error(`${SETUP_HINT}\n${PLATFORM === 'browser' ? 'The browser' : 'Dawn'} said: ${(e as Error).message}`);
  }
  if (!adapter) throw new Error(SETUP_HINT);
  const features = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  const requiredLimits: Record<string, number> = {};
  for (const name of LIMITS_TO_REQUEST) requiredLimits[name] = (adapter.limits as unknown as Record<string, number>)[name];
  const device = await adapter.requestDevice({ requiredFeatures: features, requiredLimits });
  const limits: Record<string, number> = {};
  for (const name of LIMITS_TO_REQUEST) limits[name] = (device.limits as unknown as Record<string, number>)[name];
  const ai = adapter.info;
  const info: DeviceInfo = {
    vendor: ai.vendor,
    architecture: ai.architecture,
    device: ai.device,
    description: ai.description,
    isSoftware: ai.architecture === 'software' || /llvmpipe|lavapipe|swiftshader/i.test(`${ai.architecture} ${ai.description}`),
    features: [...device.features].sort(),
    adapterFeatures: [...adapter.features].sort(),
    limits,
    dawnFlags: flags,
  };
  device.lost.then((lost) => {
    if (current?.device === device) {
      current = null;
      noteDeviceLost(lost.reason, lost.message);
    }
    if (lost.reason !== 'destroyed') console.error(`fusion: WebGPU device lost: ${lost.message}`);
  });
  return { instance: gpuApi, platform: PLATFORM, device, info, hasFeature: (f) => device.features.has(f) };
}

/**
 * Acquires the device once (later calls return the same one; options apply to the first call).
 * Must be awaited before any tensor is created.
 */
export async function init(options: DeviceOptions = deviceOptionsFromEnv()): Promise<FusionGPU> {
  if (current) return current;
  pending ??= acquire(options).then((g) => { clearDeviceLoss(); return (current = g); }).finally(() => (pending = null));
  return pending;
}

/** The acquired device; throws a clear error when `init()` was not awaited first. */
export function gpu(): FusionGPU {
  if (!current) throw deviceLostError() ?? new Error('fusion: no GPU device yet: call `await init()` from @fusion/tensor before creating tensors');
  return current;
}

/** Destroys the device (tests and CLIs call it to let the process exit promptly). */
export function destroyDevice(): void {
  current?.device.destroy();
  current = null;
}
