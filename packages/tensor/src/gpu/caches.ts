/**
 * Caches that make a dispatch cheap to record: compiled pipelines (key: kernel + variant +
 * constants, never a size), their bind-group layouts (derived from the WGSL by reflection),
 * bind groups (key: layout + the buffers bound), and immutable uniform buffers keyed by content
 * (the same shapes recur every training step, so each is written once).
 */
import { BufferUsage, ShaderStage } from './constants.js';
import {
  kernelConstants, kernelSource, reflectSpec, packUniforms, GRID_BASE_UNIFORM,
  type KernelSpec, type KernelReflection, type Constants, type UniformValues,
} from '@fusion/kernels';

export interface CompiledKernel {
  key: string;
  label: string;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  layoutId: number;
  reflection: KernelReflection;
  constants: Constants;
  /** The kernel takes `wg_base`, so the runtime may split its grid (GRID_BASE_UNIFORM). */
  splitsGrid: boolean;
}

/**
 * A small LRU on top of Map's insertion order. A hit moves an entry to the young end only when it
 * has aged past half the capacity, so most hits are one Map lookup (the caches are hit on every
 * dispatch) and an entry in use is still never the oldest.
 */
class Lru<V> {
  private map = new Map<string, { value: V; tick: number }>();
  private tick = 0;
  constructor(private capacity: number, private onEvict?: (v: V, key: string) => void) {}
  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    if (this.tick - e.tick > this.capacity >> 1) {
      this.map.delete(key);
      e.tick = ++this.tick;
      this.map.set(key, e);
    }
    return e.value;
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, { value, tick: ++this.tick });
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value as string;
      const evicted = this.map.get(oldest)!;
      this.map.delete(oldest);
      this.onEvict?.(evicted.value, oldest);
    }
  }
  delete(key: string): void {
    this.map.delete(key);
  }
  get size(): number { return this.map.size; }
}

export interface CompileError {
  check: Promise<GPUError | null>;
  context: string;
}

export class KernelCaches {
  private pipelines = new Map<string, CompiledKernel>();
  /** Pipelines by spec, variant and the per-call overrides as given (see `kernel`). */
  private bySpec = new Map<KernelSpec, Map<string, Map<string, CompiledKernel>>>();
  private modules = new Map<string, GPUShaderModule>();
  private layouts = new Map<string, { layout: GPUBindGroupLayout; id: number }>();
  private bindGroups = new Lru<{ group: GPUBindGroup; ids: number[] }>(20000, (e, key) => this.unindex(key, e.ids));
  /** Bind-group keys by the id of each buffer they name, to forget them when a buffer goes. */
  private groupsByBuffer = new Map<number, Set<string>>();
  private uniforms: Lru<GPUBuffer>;
  private bufferIds = new WeakMap<GPUBuffer, number>();
  private nextId = 1;
  readonly compileChecks: CompileError[] = [];

  constructor(private device: GPUDevice, onUniformEvict: (b: GPUBuffer) => void) {
    this.uniforms = new Lru<GPUBuffer>(8192, (b) => {
      this.forgetBuffer(b);
      onUniformEvict(b);
    });
  }

  bufferId(b: GPUBuffer): number {
    let id = this.bufferIds.get(b);
    if (id === undefined) this.bufferIds.set(b, (id = this.nextId++));
    return id;
  }

  /**
   * The compiled pipeline of a variant with per-call constants. Hot path: a lookup by spec,
   * variant and the overrides as given (insertion order); only a miss builds the canonical key
   * (every constant in effect, sorted), so two spellings of the same constants share a pipeline.
   */
  kernel(spec: KernelSpec, variant: string, overrides?: Constants): CompiledKernel {
    let byVariant = this.bySpec.get(spec);
    if (!byVariant) this.bySpec.set(spec, (byVariant = new Map()));
    let byOverrides = byVariant.get(variant);
    if (!byOverrides) byVariant.set(variant, (byOverrides = new Map()));
    let fastKey = '';
    if (overrides) for (const name in overrides) fastKey += `${name}=${overrides[name]},`;
    let k = byOverrides.get(fastKey);
    if (!k) {
      k = this.compile(spec, variant, overrides);
      byOverrides.set(fastKey, k);
    }
    return k;
  }

  private compile(spec: KernelSpec, variant: string, overrides?: Constants): CompiledKernel {
    const constants = kernelConstants(spec, variant, overrides);
    const constKey = Object.keys(constants).sort().map((k) => `${k}=${constants[k]}`).join(',');
    const key = `${spec.name}/${variant}/${constKey}`;
    let k = this.pipelines.get(key);
    if (k) return k;
    const reflection = reflectSpec(spec, variant);
    const label = `${spec.name}/${variant}`;
    const source = kernelSource(spec, variant);
    this.device.pushErrorScope('validation');
    let module = this.modules.get(source);
    if (!module) {
      module = this.device.createShaderModule({ code: source, label });
      this.modules.set(source, module);
    }
    const { layout, id } = this.layoutFor(reflection, label);
    const usedConstants: Record<string, number> = {};
    for (const name of reflection.overrides) if (name in constants) usedConstants[name] = constants[name];
    const pipeline = this.device.createComputePipeline({
      label,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout], label }),
      compute: { module, entryPoint: spec.entryPoint, constants: usedConstants },
    });
    this.compileChecks.push({ check: this.device.popErrorScope(), context: `compiling kernel ${label} (${constKey})` });
    k = { key, label, pipeline, layout, layoutId: id, reflection, constants, splitsGrid: spec.uniforms.includes(GRID_BASE_UNIFORM) };
    this.pipelines.set(key, k);
    return k;
  }

  private layoutFor(r: KernelReflection, label: string): { layout: GPUBindGroupLayout; id: number } {
    const key = r.bindings.map((b) => `${b.binding}:${b.kind}`).join(',');
    let entry = this.layouts.get(key);
    if (!entry) {
      const layout = this.device.createBindGroupLayout({
        label,
        entries: r.bindings.map((b) => ({ binding: b.binding, visibility: ShaderStage.COMPUTE, buffer: { type: b.kind } })),
      });
      entry = { layout, id: this.layouts.size + 1 };
      this.layouts.set(key, entry);
    }
    return entry;
  }

  uniformBuffer(k: CompiledKernel, values: UniformValues): GPUBuffer {
    const layout = k.reflection.uniforms!;
    const bytes = packUniforms(layout, values, k.label);
    const words = new Uint32Array(bytes);
    const key = words.join(',');
    let buffer = this.uniforms.get(key);
    if (!buffer) {
      buffer = this.device.createBuffer({ size: bytes.byteLength, usage: BufferUsage.UNIFORM, mappedAtCreation: true, label: `${k.label}.params` });
      new Uint32Array(buffer.getMappedRange()).set(words);
      buffer.unmap();
      this.uniforms.set(key, buffer);
    }
    return buffer;
  }

  bindGroup(k: CompiledKernel, buffers: GPUBuffer[]): GPUBindGroup {
    const ids: number[] = new Array(buffers.length);
    let key = `${k.layoutId}:`;
    for (let i = 0; i < buffers.length; i++) {
      ids[i] = this.bufferId(buffers[i]);
      key += `${ids[i]},`;
    }
    let entry = this.bindGroups.get(key);
    if (!entry) {
      const group = this.device.createBindGroup({
        label: k.label,
        layout: k.layout,
        entries: k.reflection.bindings.map((b, i) => ({ binding: b.binding, resource: { buffer: buffers[i] } })),
      });
      entry = { group, ids };
      this.bindGroups.set(key, entry);
      for (const id of ids) {
        let keys = this.groupsByBuffer.get(id);
        if (!keys) this.groupsByBuffer.set(id, (keys = new Set()));
        keys.add(key);
      }
    }
    return entry.group;
  }

  private unindex(key: string, ids: number[]): void {
    for (const id of ids) {
      const keys = this.groupsByBuffer.get(id);
      keys?.delete(key);
      if (keys?.size === 0) this.groupsByBuffer.delete(id);
    }
  }

  /** Drops bind groups that name a buffer about to be destroyed. */
  forgetBuffer(b: GPUBuffer): void {
    const id = this.bufferIds.get(b);
    if (id === undefined) return;
    const keys = this.groupsByBuffer.get(id);
    if (!keys) return;
    for (const key of [...keys]) {
      const entry = this.bindGroups.get(key);
      this.bindGroups.delete(key);
      if (entry) this.unindex(key, entry.ids);
    }
    this.groupsByBuffer.delete(id);
  }

  stats(): { pipelines: number; bindGroups: number; uniformBuffers: number } {
    return { pipelines: this.pipelines.size, bindGroups: this.bindGroups.size, uniformBuffers: this.uniforms.size };
  }
}
