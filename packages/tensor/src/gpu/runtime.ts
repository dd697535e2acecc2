/**
 * The command stream: one command encoder (and one compute pass) records every dispatch, copy and
 * upload of a step of work, and is submitted on readback, on `flush()`, or when it grows large.
 * Owns the buffer pool and the kernel caches of the current device.
 */
import { BufferUsage, MapMode } from './constants.js';
import type { KernelSpec, Constants, UniformValues, Workgroups } from '@fusion/kernels';
import { init as acquireDevice, gpu, type DeviceOptions, type FusionGPU } from './device.js';
import { BufferPool, type PoolStats } from './pool.js';
import { KernelCaches } from './caches.js';

/** Commands recorded before the encoder is submitted on its own, to bound its memory. */
const AUTO_FLUSH_COMMANDS = 4096;

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

export class Runtime {
  readonly pool: BufferPool;
  readonly caches: KernelCaches;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private recorded = 0;
  private afterSubmit: GPUBuffer[] = [];
  private errors: { check: Promise<GPUError | null>; context: string }[] = [];
  private placeholder: GPUBuffer;
  private uncaptured: string | null = null;
  readonly stats: StreamStats = { dispatches: 0, submits: 0, uploads: 0, readbacks: 0 };

  constructor(readonly gpu: FusionGPU) {
    const device = gpu.device;
    this.pool = new BufferPool(device, gpu.info.limits.maxStorageBufferBindingSize);
    this.caches = new KernelCaches(device, (b) => this.afterSubmit.push(b));
    this.placeholder = device.createBuffer({ size: 16, usage: BufferUsage.STORAGE, label: 'placeholder' });
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
      this.pass = this.encoder.beginComputePass({ label: 'fusion.pass' });
    }
    return this.pass;
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

  /** Records one dispatch of a kernel. Binding names and uniform fields are checked against the WGSL. */
  run(spec: KernelSpec, variant: string, call: KernelCall): void {
    const k = this.caches.kernel(spec, variant, call.constants);
    const buffers = k.reflection.bindings.map((b) => {
      if (b.kind === 'uniform') return this.caches.uniformBuffer(k, call.uniforms ?? {});
      const buf = call.buffers[b.name];
      if (buf === undefined) throw new Error(`kernel ${k.label}: binding ${b.name} was not given`);
      return buf ?? this.placeholder;
    });
    const wg = call.workgroups ?? spec.dispatch(call.uniforms ?? {}, k.constants);
    if (wg[0] * wg[1] * wg[2] === 0) return;
    const maxDim = this.gpu.info.limits.maxComputeWorkgroupsPerDimension;
    if (wg.some((n) => n > maxDim)) throw new Error(`kernel ${k.label}: dispatch ${wg.join('x')} exceeds ${maxDim} workgroups per dimension`);
    const pass = this.computePass();
    pass.setPipeline(k.pipeline);
    pass.setBindGroup(0, this.caches.bindGroup(k, buffers));
    pass.dispatchWorkgroups(wg[0], wg[1], wg[2]);
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
    await staging.mapAsync(MapMode.READ);
    const out = staging.getMappedRange().slice(0, bytes);
    staging.unmap();
    staging.destroy();
    return out;
  }

  /** Submits and waits until the GPU has finished all recorded work; throws any WebGPU error seen. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.checkErrors();
  }

  private async checkErrors(): Promise<void> {
    const pending = [...this.caches.compileChecks.splice(0), ...this.errors.splice(0)];
    for (const { check, context } of pending) {
      const error = await check;
      if (error) throw new Error(`WebGPU error while ${context}: ${error.message}`);
    }
    if (this.uncaptured) {
      const message = this.uncaptured;
      this.uncaptured = null;
      throw new Error(`WebGPU error: ${message}`);
    }
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
