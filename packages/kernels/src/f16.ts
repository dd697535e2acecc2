/**
 * Specs of the f16 storage kernels (shaders/f16.wgsl): casts f32 -> f16 (round to nearest even,
 * overflow to +-inf), f16 -> f32 (exact), and the strided copy of f16 views. They share the
 * elementwise family's uniform struct and operand bindings (`a` in, `out` out), so launch.ts runs
 * them like any elementwise kernel. They read and write packed words and need no `shader-f16`.
 */
import { defineKernel, grid1d } from './spec.js';

const UNIFORMS = ['numel', 'rank', 'offset_a', 'offset_b', 'offset_c', 'alpha', 'beta', 'bits', 'shape', 'strides_a', 'strides_b', 'strides_c', 'row4'] as const;
const base = { shader: 'f16', uniforms: UNIFORMS, constants: { WG: 256, CONTIGUOUS: 0 }, inputs: ['a'], outputs: ['out'], variants: { default: {} } } as const;
/** Kernels writing f16 produce one packed word (two elements) per invocation. */
const perWord = (u: Record<string, unknown>, c: Record<string, number>) => grid1d(Math.ceil((u.numel as number) / 2), c.WG);
const perElement = (u: Record<string, unknown>, c: Record<string, number>) => grid1d(u.numel as number, c.WG);

export const castF32ToF16Kernel = defineKernel({ ...base, name: 'cast_f32_to_f16', entryPoint: 'cast_f32_to_f16', dispatch: perWord });
export const castF16ToF32Kernel = defineKernel({ ...base, name: 'cast_f16_to_f32', entryPoint: 'cast_f16_to_f32', dispatch: perElement });
export const copyF16Kernel = defineKernel({ ...base, name: 'copy_f16', entryPoint: 'copy_f16', dispatch: perWord });

/** Unit roundoff of f16 (2^-11): a value rounded to f16 is within |x| * F16_UNIT_ROUNDOFF of x. */
export const F16_UNIT_ROUNDOFF = 2 ** -11;

/** Unit roundoff of f32 (2^-24). */
export const F32_UNIT_ROUNDOFF = 2 ** -24;
