/**
 * The f16 rows (mixed precision): matmul of f16 n x n x n operands, and conv2d forward of f16 input
 * and weight at ResNet50's layer shapes (the conv2d grid), both accumulating and returning f32,
 * with the 'gemm-f16' strategy the adapter picks (tensor cores where it has them). Run them beside
 * the f32 rows: `pnpm bench kernels --filter F16` and `--filter matmul`. Peer: none (TF.js's WebGPU
 * backend has no f16 matmul or conv); the ratio to the f32 row of the same shape is the figure.
 * FLOPs: 2 n^3 (matmul), 2 N C_out OH OW C_in KH KW (conv2d).
 */
import { matmul, conv2d, chooseVariant, tensor } from '@fusion/tensor';
import { defineBench } from '../src/declare.js';
import { hostData } from '../src/data.js';
import { CONV_GRID, type ConvCase } from './conv2d.js';

const NO_PEER = { none: "TF.js's WebGPU backend has no f16 matmul or conv: compare with the f32 row of the same shape" };

const f16Random = (shape: number[], seed: number) => tensor(hostData(shape, seed), shape, 'f16');

export const matmulF16Bench = defineBench<{ n: number }>({
  kernel: 'matmulF16',
  requires: ['matmul'],
  grid: [{ n: 128, quickOnly: true }, { n: 256, quick: true }, { n: 512 }, { n: 1024 }, { n: 2048 }, { n: 4096 }],
  shape: ({ n }) => `${n}x${n}x${n}`,
  variant: ({ n }) => chooseVariant('gemm-f16', n, n, n).variant,
  work: ({ n }) => ({ flops: 2 * n ** 3 }),
  setup: ({ n }) => {
    const a = f16Random([n, n], 1);
    const b = f16Random([n, n], 2);
    return { run: () => matmul(a, b), dispose: () => [a, b].forEach((t) => t.dispose()) };
  },
  peer: NO_PEER,
});

const out = (p: ConvCase) => Math.floor((p.h + 2 * p.pad - p.k) / p.stride) + 1;

export const conv2dF16Bench = defineBench<ConvCase>({
  kernel: 'conv2dF16',
  requires: ['conv2d'],
  grid: CONV_GRID,
  shape: (p) => `${p.name} ${p.n}x${p.cin}x${p.h}x${p.w} k${p.k} s${p.stride} p${p.pad} -> ${p.cout}`,
  variant: (p) => chooseVariant('gemm-f16', p.cout, p.n * out(p) ** 2, p.cin * p.k * p.k).variant,
  work: (p) => ({ flops: 2 * p.n * p.cout * out(p) ** 2 * p.cin * p.k * p.k }),
  setup: (p) => {
    const x = f16Random([p.n, p.cin, p.h, p.w], 1);
    const w = f16Random([p.cout, p.cin, p.k, p.k], 2);
    return { run: () => conv2d(x, w, null, { stride: p.stride, padding: p.pad }), dispose: () => [x, w].forEach((t) => t.dispose()) };
  },
  peer: NO_PEER,
});
