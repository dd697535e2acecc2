/**
 * Specs of the random family (shaders/random.wgsl) and a bit-exact CPU Philox4x32-10 for tests.
 */
import { defineKernel, grid1d } from './spec.js';

const base = {
  shader: 'random',
  uniforms: ['numel', 'seed_lo', 'seed_hi', 'offset_lo', 'offset_hi', 'alpha', 'beta', 'x_offset'],
  constants: { WG: 256 },
  dispatch: (u: Record<string, unknown>, c: Record<string, number>) => grid1d(u.numel as number, c.WG),
  variants: { default: {} },
} as const;

export const uniformKernel = defineKernel({ ...base, name: 'random_uniform', entryPoint: 'uniform_fill', inputs: [], outputs: ['out'] });
export const normalKernel = defineKernel({ ...base, name: 'random_normal', entryPoint: 'normal_fill', inputs: [], outputs: ['out'] });
export const bernoulliKernel = defineKernel({ ...base, name: 'random_bernoulli', entryPoint: 'bernoulli_fill', inputs: [], outputs: ['out'] });
export const dropoutKernel = defineKernel({ ...base, name: 'dropout', entryPoint: 'dropout', inputs: ['x'], outputs: ['out'] });

function mulWide(a: number, b: number): [number, number] {
  const p = BigInt(a >>> 0) * BigInt(b >>> 0);
  return [Number(p >> 32n) >>> 0, Number(p & 0xffffffffn) >>> 0];
}

/** Philox4x32-10 of one counter under a key; returns four 32-bit words. */
export function philox(counter: [number, number, number, number], key: [number, number]): [number, number, number, number] {
  let [c0, c1, c2, c3] = counter.map((x) => x >>> 0);
  let [k0, k1] = key.map((x) => x >>> 0);
  for (let r = 0; r < 10; r++) {
    const [h0, l0] = mulWide(0xd2511f53, c0);
    const [h1, l1] = mulWide(0xcd9e8d57, c2);
    [c0, c1, c2, c3] = [(h1 ^ c1 ^ k0) >>> 0, l1, (h0 ^ c3 ^ k1) >>> 0, l0];
    k0 = (k0 + 0x9e3779b9) >>> 0;
    k1 = (k1 + 0xbb67ae85) >>> 0;
  }
  return [c0, c1, c2, c3];
}

/** The draw of element i of a call at (seed, offset), as the shader computes it. */
export function philoxDraw(i: number, seed: [number, number], offset: [number, number]): [number, number, number, number] {
  const lo = (offset[0] + i) >>> 0;
  const carry = lo < i ? 1 : 0;
  return philox([lo, (offset[1] + carry) >>> 0, 0, 0], seed);
}

export function unitFromBits(bits: number): number {
  return (bits >>> 8) / 16777216;
}
