/**
 * Kernel specs as data: which shader, which entry point, the bindings and uniform fields the
 * runtime will supply, the tuning constants (WGSL `override`s), the structural variants (named
 * hooks) and how to size the dispatch. The runtime (@fusion/tensor) turns a spec into a cached
 * pipeline; `reflectSpec` derives its layouts from the WGSL, and the spec tests check that the
 * declared names agree with the shader.
 */
import { shaderSources, type ShaderName } from './shaders.generated.js';
import { applyHooks } from './hooks.js';
import { reflectKernel, type KernelReflection, type UniformValues } from './reflect.js';

export type Workgroups = [number, number, number];
export type Constants = Readonly<Record<string, number>>;

export interface KernelVariant {
  /** Hook functions replacing the shader's defaults, by function name. */
  hooks?: Readonly<Record<string, string>>;
  /** Constants this variant fixes (merged over the spec's defaults). */
  constants?: Constants;
}

export interface KernelSpec<V extends string = string> {
  /** Unique name: the first part of the pipeline cache key and of every label Dawn prints. */
  name: string;
  shader: ShaderName;
  entryPoint: string;
  /** Read-only storage bindings, by WGSL variable name. */
  inputs: readonly string[];
  /** Read-write storage bindings, by WGSL variable name. */
  outputs: readonly string[];
  /** Fields of the uniform struct (empty when the kernel has no uniform binding). */
  uniforms: readonly string[];
  /** Default values of the tuning `override` constants. */
  constants: Constants;
  variants: Readonly<Record<V, KernelVariant>>;
  /** Workgroup counts for a call, from its uniform values and the constants in effect. */
  dispatch(uniforms: UniformValues, constants: Constants): Workgroups;
  /** WebGPU features the shader needs (its `enable`s); absent: none beyond core. */
  requires?: readonly string[];
}

export function defineKernel<V extends string>(spec: KernelSpec<V>): KernelSpec<V> {
  return spec;
}

/** The WGSL source of one variant, hooks applied. */
export function kernelSource(spec: KernelSpec, variant: string): string {
  const v = spec.variants[variant];
  if (!v) throw new Error(`kernel ${spec.name}: unknown variant ${variant} (have ${Object.keys(spec.variants).join(', ')})`);
  return applyHooks(shaderSources[spec.shader], v.hooks);
}

/** Constants in effect for a variant and per-call overrides. */
export function kernelConstants(spec: KernelSpec, variant: string, overrides?: Constants): Constants {
  return { ...spec.constants, ...spec.variants[variant]?.constants, ...overrides };
}

const reflections = new Map<string, KernelReflection>();

/** Reflection of a variant's source (cached). */
export function reflectSpec(spec: KernelSpec, variant: string): KernelReflection {
  const key = `${spec.name}/${variant}`;
  let r = reflections.get(key);
  if (!r) {
    r = reflectKernel(kernelSource(spec, variant), spec.entryPoint, key);
    reflections.set(key, r);
  }
  return r;
}

/** Largest number of workgroups WebGPU allows in one dimension by default. */
export const MAX_WORKGROUPS_PER_DIM = 65535;

/**
 * Workgroups for `n` independent items at `perGroup` items per workgroup, folded into a 2-D grid
 * when one dimension is not enough. Shaders recover the item index as
 * `gid.x + gid.y * num_workgroups.x * WG`.
 */
export function grid1d(n: number, perGroup: number): Workgroups {
  const groups = Math.max(1, Math.ceil(n / perGroup));
  if (groups <= MAX_WORKGROUPS_PER_DIM) return [groups, 1, 1];
  const y = Math.ceil(groups / MAX_WORKGROUPS_PER_DIM);
  return [Math.ceil(groups / y), y, 1];
}

/**
 * The uniform field (a `vec4<u32>`) through which a kernel accepts repeated dispatches with
 * offsets: its shader reads `workgroup_id + wg_base.xyz` as its workgroup id, so the runtime may
 * cut a grid that exceeds the device's per-dimension limit into pieces, each dispatched with the
 * piece's origin in `wg_base`. Kernels whose item index is linearised over `num_workgroups`
 * (grid1d and the row grids) fold instead and never need it.
 */
export const GRID_BASE_UNIFORM = 'wg_base' as const;

/** One piece of a split grid: its origin (the `wg_base` it runs with) and its size. */
export interface GridPiece {
  base: Workgroups;
  size: Workgroups;
}

/**
 * Cuts a grid into pieces of at most `maxPerDim` workgroups per dimension, x fastest. A grid that
 * fits is one piece at the origin.
 */
export function splitGrid(grid: Workgroups, maxPerDim: number): GridPiece[] {
  const starts = grid.map((n) => {
    const list: number[] = [];
    for (let s = 0; s < n; s += maxPerDim) list.push(s);
    return list;
  });
  const pieces: GridPiece[] = [];
  for (const z of starts[2]) {
    for (const y of starts[1]) {
      for (const x of starts[0]) {
        const base: Workgroups = [x, y, z];
        pieces.push({ base, size: [0, 1, 2].map((d) => Math.min(maxPerDim, grid[d] - base[d])) as Workgroups });
      }
    }
  }
  return pieces;
}
