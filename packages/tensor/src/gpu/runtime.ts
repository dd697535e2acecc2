/**
 * The command stream: one command encoder (and one compute pass) records every dispatch, copy and
 * upload of a step of work, and is submitted on readback, on `flush()`, or when it grows large.
 * Owns the buffer pool and the kernel caches of the current device.
 * `timeRegion(fn)` measures the GPU time of the work fn records (timestamp queries written at the
 * beginning and end of each compute pass opened while it runs), for benchmarks and profiling.
 */
import { BufferUsage, MapMode } from './constants.js';
import { GRID_BASE_UNIFORM, splitGrid, type KernelSpec, type Constants, type UniformValues, type Workgroups } from '@fusion/kernels';
import { init as acquireDevice, gpu, type DeviceOptions, type FusionGPU } from './device.js';
import { BufferPool, type PoolStats } from './pool.js';
import { KernelCaches, type CompiledKernel } from './caches.js';
import { gpuWait } from './wait.js';
import { bindingLimit, bindingLimitError } from './limits.js';
import { DeviceErrorCollector, summariseDeviceError } from './error-scopes.js';

/** Commands recorded before the encoder is submitted on its own, to bound its memory. */
const AUTO_FLUSH_COMMANDS = 4096;

/**
 * Timestamp slots of the region timer's query set: a beginning and an end per compute pass. When
 * a region or profile fills them, the written slots are resolved into a buffer in command order
 * and the set is reused, so a region may record any number of passes.
 */
const TIMESTAMP_SLOTS = 4096;

export interface KernelCall {
  /** Buffers by WGSL binding name; `null` binds a placeholder for a binding the variant ignores. */
  buffers: Readonly<Record<string, GPUBuffer | null>>;
  uniforms?: UniformValues;
  constants?: Constants;
  /** Overrides the spec's dispatch size. */
  workgroups?: Workgroups;
}

export interface StreamStats {
  dispatches: number;
  submits: number;
  uploads: number;
  readbacks: number;
}

/** How long a timed region took and which clock measured it. */
export interface RegionTime {
  /** Milliseconds: GPU time on the 'timestamp' clock, else host time. */
  ms: number;
  /**
   * 'timestamp': from the beginning of the first compute pass the region recorded to the end of
   * its last, read from GPU timestamp queries (recording and submission excluded).
   * 'wall': host time from the start of fn until the GPU finished its work, used when the device
   * lacks `timestamp-query` or the region recorded no compute pass.
   */
  clock: 'timestamp' | 'wall';
  /** Host time from the start of fn until the GPU finished its work (always measured). */
  wallMs: number;
  /** Compute passes the region recorded. */
  passes: number;
}

/** The query set of the region timer, the slots written since the last spill, and the spills. */
interface PassTimer {
  querySet: GPUQuerySet;
  used: number;
  /** Earlier rounds of the query set resolved into buffers, in command order. */
  spilled: GPUBuffer[];
}

export class Runtime {
  readonly pool: BufferPool;
  readonly caches: KernelCaches;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private recorded = 0;
  private afterSubmit: GPUBuffer[] = [];
  private errors: { check: Promise<GPUError | null>; context: string }[] = [];
  /**
   * Buffers bound where a call passes null, one per binding number: two ignored bindings of one
   * dispatch must not alias, or a writable one conflicts with the other (a validation error).
   */
  private placeholders: GPUBuffer[] = [];
  private uncaptured: string | null = null;
  private gridSplitLimit: number | null = null;
  private timerQuerySet: GPUQuerySet | null = null;
  private timer: PassTimer | null = null;
  /** While profiling: the kernel label of each compute pass (one dispatch per pass). */
  private passLabels: string[] | null = null;
  readonly stats: StreamStats = { dispatches: 0, submits: 0, uploads: 0, readbacks: 0 };
  private readonly collector: DeviceErrorCollector;

  constructor(readonly gpu: FusionGPU) {
    const device = gpu.device;
    this.collector = new DeviceErrorCollector(device);
    this.pool = new BufferPool(device, gpu.info.limits.maxStorageBufferBindingSize);
    this.caches = new KernelCaches(device, (b) => this.afterSubmit.push(b));
    device.onuncapturederror = (e) => {
      this.uncaptured ??= (e as GPUUncapturedErrorEvent).error.message;
    };
  }

  get device(): GPUDevice {
    return this.gpu.device;
  }

  private computePass(): GPUComputePassEncoder {
    if (!this.pass) {
      this.encoder ??= this.device.createCommandEncoder({ label: 'fusion.step' });
      this.pass = this.encoder.beginComputePass(this.passDescriptor());
    }
    return this.pass;
  }

  /** A compute pass's descriptor, with timestamp writes while a region is timed (the encoder exists). */
  private passDescriptor(): GPUComputePassDescriptor {
    const timer = this.timer;
    if (!timer) return { label: 'fusion.pass' };
    if (timer.used + 2 > TIMESTAMP_SLOTS) this.spillTimestamps(timer);
    const begin = timer.used;
    timer.used += 2;
    return { label: 'fusion.pass', timestampWrites: { querySet: timer.querySet, beginningOfPassWriteIndex: begin, endOfPassWriteIndex: begin + 1 } };
  }

  /**
   * Measures the work that `fn` records: work recorded before is submitted first and not counted;
   * the region ends when the GPU has finished fn's work. Times the GPU with timestamp queries at
   * the beginning and end of each compute pass when the device has `timestamp-query`, else (or
   * when fn recorded no compute pass) by the host clock; `clock` says which. fn must be
   * synchronous and must not read back (wrap it in `tidy` to free what it creates). Regions do
   * not nest.
   */
  async timeRegion(fn: () => void): Promise<RegionTime> {
    if (this.timer) throw new Error('timeRegion(): regions do not nest (a region is already being timed)');
    await this.sync();
    const useTimestamps = this.gpu.hasFeature('timestamp-query');
    if (useTimestamps) this.timer = this.newTimer();
    const start = performance.now();
    let timer: PassTimer | null;
    try {
      fn();
      this.flush();
    } finally {
      timer = this.timer;
      this.timer = null;
    }
    await this.sync();
    const wallMs = performance.now() - start;
    const stamps = timer ? await this.collectTimestamps(timer) : new BigUint64Array(0);
    const passes = stamps.length / 2;
    if (passes === 0) return { ms: wallMs, clock: 'wall', wallMs, passes };
    let first = stamps[0];
    let last = stamps[1];
    for (let i = 0; i < stamps.length; i += 2) {
      if (stamps[i] < first) first = stamps[i];
      if (stamps[i + 1] > last) last = stamps[i + 1];
    }
    return { ms: Number(last - first) / 1e6, clock: 'timestamp', wallMs, passes };
  }

  /**
   * Per-kernel GPU time of the work `fn` records: every dispatch gets its own compute pass with
   * timestamps, and the times are summed by kernel (name/variant). Separate passes serialise the
   * work, so the total exceeds timeRegion's; use it to rank kernels, not to time a step. Needs
   * `timestamp-query`; any number of dispatches. Sorted by total time, largest first.
   */
  async profile(fn: () => void): Promise<{ kernel: string; ms: number; count: number }[]> {
    if (!this.gpu.hasFeature('timestamp-query')) throw new Error('profile(): the device has no timestamp-query feature');
    if (this.passLabels) throw new Error('profile(): profiles do not nest');
    await this.sync();
    const timer = this.newTimer();
    const labels: string[] = [];
    this.timer = timer;
    this.passLabels = labels;
    try {
      fn();
      this.flush();
    } finally {
      this.timer = null;
      this.passLabels = null;
    }
    await this.sync();
    const stamps = await this.collectTimestamps(timer);
    if (stamps.length !== 2 * labels.length) throw new Error(`profile(): ${stamps.length} timestamps for ${labels.length} dispatches`);
    const totals = new Map<string, { ms: number; count: number }>();
    labels.forEach((label, i) => {
      const t = totals.get(label) ?? { ms: 0, count: 0 };
      t.ms += Number(stamps[2 * i + 1] - stamps[2 * i]) / 1e6;
      t.count++;
      totals.set(label, t);
    });
    return [...totals].map(([kernel, t]) => ({ kernel, ...t })).sort((a, b) => b.ms - a.ms);
  }

  private newTimer(): PassTimer {
    this.timerQuerySet ??= this.device.createQuerySet({ type: 'timestamp', count: TIMESTAMP_SLOTS, label: 'fusion.timer' });
    return { querySet: this.timerQuerySet, used: 0, spilled: [] };
  }

  /** Records the resolve of the slots written so far into a buffer of their own and frees the set. */
  private spillTimestamps(timer: PassTimer): void {
    const resolved = this.device.createBuffer({ size: timer.used * 8, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC, label: 'fusion.timer.spill' });
    this.encoder!.resolveQuerySet(timer.querySet, 0, timer.used, resolved, 0);
    timer.spilled.push(resolved);
    timer.used = 0;
  }

  /** Every timestamp (nanoseconds) a finished timer wrote, spilled rounds first; frees the spills. */
  private async collectTimestamps(timer: PassTimer): Promise<BigUint64Array> {
    if (timer.used > 0) {
      this.encoder ??= this.device.createCommandEncoder({ label: 'fusion.timer' });
      this.spillTimestamps(timer);
    }
    const parts: BigUint64Array[] = [];
    try {
      for (const b of timer.spilled) parts.push(new BigUint64Array(await this.read(b, 0, b.size)));
    } finally {
      for (const b of timer.spilled) b.destroy();
      timer.spilled = [];
    }
    const out = new BigUint64Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  private copyEncoder(): GPUCommandEncoder {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    this.encoder ??= this.device.createCommandEncoder({ label: 'fusion.step' });
    return this.encoder;
  }

  private counted(): void {
    if (++this.recorded >= AUTO_FLUSH_COMMANDS) this.flush();
  }

  /**
   * Records one dispatch of a kernel. Binding names and uniform fields are checked against the WGSL.
   * A grid past the device's per-dimension workgroup limit is split into repeated dispatches with
   * offsets when the kernel takes `wg_base` (GRID_BASE_UNIFORM); other kernels fold their grids
   * in their dispatch specs, and a grid that still does not fit is an error naming the kernel.
   */
  run(spec: KernelSpec, variant: string, call: KernelCall): void {
    const k = this.caches.kernel(spec, variant, call.constants);
    const uniforms = call.uniforms ?? {};
    const wg = call.workgroups ?? spec.dispatch(uniforms, k.constants);
    if (wg[0] * wg[1] * wg[2] === 0) return;
    const deviceMax = this.gpu.info.limits.maxComputeWorkgroupsPerDimension;
    const splits = k.splitsGrid;
    const maxDim = splits ? Math.min(deviceMax, this.gridSplitLimit ?? deviceMax) : deviceMax;
    if (wg.some((n) => n > maxDim)) {
      if (!splits) throw new Error(`kernel ${k.label}: dispatch ${wg.join('x')} exceeds ${maxDim} workgroups per dimension (the kernel neither folds nor splits this grid)`);
      for (const piece of splitGrid(wg, maxDim)) this.dispatch(k, call, { ...uniforms, [GRID_BASE_UNIFORM]: [...piece.base, 0] }, piece.size);
      return;
    }
    this.dispatch(k, call, uniforms, wg);
  }

  /**
   * Test hook: the per-dimension size past which kernels that take `wg_base` split their grids
   * (null: the device's limit), so tests exercise the split on small tensors.
   */
  setGridSplitLimitForTests(limit: number | null): void {
    this.gridSplitLimit = limit;
  }

  private dispatch(k: CompiledKernel, call: KernelCall, uniforms: UniformValues, wg: Workgroups): void {
    const limit = bindingLimit();
    const bindings = k.reflection.bindings;
    const buffers: GPUBuffer[] = new Array(bindings.length);
    for (let i = 0; i < bindings.length; i++) {
      const b = bindings[i];
      if (b.kind === 'uniform') {
        buffers[i] = this.caches.uniformBuffer(k, uniforms);
        continue;
      }
      const buf = call.buffers[b.name];
      if (buf === undefined) throw new Error(`kernel ${k.label}: binding ${b.name} was not given`);
      if (buf && buf.size > limit) throw bindingLimitError(k.label, b.name, buf, limit);
      buffers[i] = buf ?? (this.placeholders[b.binding] ??= this.device.createBuffer({ size: 16, usage: BufferUsage.STORAGE, label: `placeholder.${b.binding}` }));
    }
    if (this.passLabels && this.pass) {
      this.pass.end();
      this.pass = null;
    }
    const pass = this.computePass();
    pass.setPipeline(k.pipeline);
    pass.setBindGroup(0, this.caches.bindGroup(k, buffers));
    pass.dispatchWorkgroups(wg[0], wg[1], wg[2]);
    if (this.passLabels) {
      this.passLabels.push(k.label);
      pass.end();
      this.pass = null;
    }
    this.stats.dispatches++;
    this.counted();
  }

  /** Records a host-to-GPU write into `dst` at `dstOffset` bytes, ordered with the recorded work. */
  upload(dst: GPUBuffer, dstOffset: number, data: ArrayBufferView): void {
    const bytes = Math.ceil(data.byteLength / 4) * 4;
    if (bytes === 0) return;
    const staging = this.device.createBuffer({ size: bytes, usage: BufferUsage.MAP_WRITE | BufferUsage.COPY_SRC, mappedAtCreation: true, label: 'upload' });
    new Uint8Array(staging.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    staging.unmap();
    this.copyEncoder().copyBufferToBuffer(staging, 0, dst, dstOffset, bytes);
    this.afterSubmit.push(staging);
    this.stats.uploads++;
    this.counted();
  }

  /** Records a GPU copy between buffers (offsets and size in bytes, multiples of 4). */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    if (bytes === 0) return;
    this.copyEncoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.counted();
  }

  /** Submits everything recorded so far. */
  flush(): void {
    const device = this.device;
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    if (this.encoder) {
      device.pushErrorScope('validation');
      device.queue.submit([this.encoder.finish()]);
      this.errors.push({ check: device.popErrorScope(), context: 'submitting recorded kernels' });
      this.encoder = null;
      this.stats.submits++;
    }
    this.recorded = 0;
    for (const b of this.afterSubmit) b.destroy();
    this.afterSubmit = [];
  }

  /** Reads `bytes` bytes of `src` from `offset`, after all recorded work. */
  async read(src: GPUBuffer, offset: number, bytes: number): Promise<ArrayBuffer> {
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const staging = this.device.createBuffer({ size, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST, label: 'readback' });
    this.copyEncoder().copyBufferToBuffer(src, offset, staging, 0, size);
    this.stats.readbacks++;
    this.flush();
    await this.checkErrors();
    await gpuWait(staging.mapAsync(MapMode.READ));
    const out = staging.getMappedRange().slice(0, bytes);
    staging.unmap();
    staging.destroy();
    return out;
  }

  /** Submits and waits until the GPU has finished all recorded work; throws any WebGPU error seen. */
  async sync(): Promise<void> {
    this.flush();
    await gpuWait(this.device.queue.onSubmittedWorkDone());
    await this.checkErrors();
  }

  /** Throws the first WebGPU error since the last check (every source is drained, so none is reported late). */
  private async checkErrors(): Promise<void> {
    const pending = [...this.caches.compileChecks.splice(0), ...this.errors.splice(0)];
    const collected = this.collector.drain(gpuWait);
    let first: string | null = null;
    for (const { check, context } of pending) {
      const error = await gpuWait(check);
      if (error && !first) first = `WebGPU error while ${context}: ${error.message}`;
    }
    const scoped = await collected;
    if (scoped && !first) first = `WebGPU error: ${summariseDeviceError(scoped)} (the first device error since the last readback; later ones are not shown)`;
    if (this.uncaptured && !first) first = `WebGPU error: ${this.uncaptured}`;
    this.uncaptured = null;
    if (first) throw new Error(first);
  }

  /** Destroys pooled buffers (after submitting, so no recorded work still names them). */
  trimPool(): void {
    this.flush();
    this.pool.trim((b) => this.caches.forgetBuffer(b));
  }

  memoryStats(): PoolStats {
    return this.pool.snapshot();
  }
}

let current: Runtime | null = null;

/**
 * Acquires the GPU (once) and prepares the runtime. Await it before creating any tensor.
 * Options apply to the first call only.
 */
export async function init(options?: DeviceOptions): Promise<Runtime> {
  const g = await acquireDevice(options);
  if (!current || current.gpu !== g) current = new Runtime(g);
  return current;
}

/** The runtime of the acquired device; throws a clear error when `init()` was not awaited. */
export function runtime(): Runtime {
  const g = gpu();
  if (!current || current.gpu !== g) current = new Runtime(g);
  return current;
}
