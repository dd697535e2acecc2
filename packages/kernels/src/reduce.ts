/**
 * Specs of the reduction family (shaders/reduce.wgsl) and the float64 reference.
 */
import { defineKernel, grid1d } from './spec.js';

export const reduceOps = {
  sum: { step: 'acc + v', ref: (a: number, v: number) => a + v, start: 0 },
  max: { step: 'max(acc, v)', ref: Math.max, start: -Infinity },
  min: { step: 'min(acc, v)', ref: Math.min, start: Infinity },
} as const;

export type ReduceOpName = keyof typeof reduceOps;

const variants = Object.fromEntries(
  Object.entries(reduceOps).map(([name, op]) => [
    name,
    {
      hooks: {
        reduce_step: `fn reduce_step(acc: f32, v: f32) -> f32 {\n  return ${op.step};\n}`,
      },
    },
  ]),
) as unknown as Record<ReduceOpName, { hooks: Record<string, string> }>;

export const reduceKernel = defineKernel({
  name: 'reduce',
  shader: 'reduce',
  entryPoint: 'main',
  inputs: ['x'],
  outputs: ['out'],
  uniforms: ['outer', 'reduce', 'inner', 'chunk', 'chunks', 'x_offset', 'scale'],
  constants: { WG: 256 },
  variants,
  dispatch: (u, c) => grid1d((u.outer as number) * (u.chunks as number) * (u.inner as number), c.WG),
});

/** Float64 reduction of [outer, reduce, inner] over the middle axis. */
export function reduceReference(op: ReduceOpName, x: ArrayLike<number>, outer: number, reduce: number, inner: number): Float64Array {
  const out = new Float64Array(outer * inner).fill(reduceOps[op].start);
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < reduce; r++) {
      for (let i = 0; i < inner; i++) {
        out[o * inner + i] = reduceOps[op].ref(out[o * inner + i], x[(o * reduce + r) * inner + i]);
      }
    }
  }
  return out;
}
