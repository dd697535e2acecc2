/**
 * matmul: square f32 products n x n x n, with the GEMM strategy the adapter picks; the full grid
 * also forces another strategy on the mid sizes. Strategies: `tiled` and `direct` (the entry points
 * of shaders/gemm.wgsl) and `subgroup` (shaders/gemm_subgroup.wgsl, the default on CPU adapters
 * with 8-wide subgroups). Peer: tf.matMul. 2 n^3 FLOPs.
 */
import { matmul, chooseVariant, forceVariant } from '@fusion/tensor';
import { GEMM_TUNING, type GemmStrategy } from '@fusion/kernels';
import { defineBench } from '../src/declare.js';
import { oursRandom, peerRandom } from '../src/data.js';

interface MatmulCase {
  n: number;
  /** Force the strategies other than the adapter's default. */
  alternate?: boolean;
}

/** The first strategy that is not the adapter's default choice. */
function alternateStrategy(): GemmStrategy {
  forceVariant('gemm', null);
  const chosen = chooseVariant('gemm', 1).variant;
  return (Object.keys(GEMM_TUNING) as GemmStrategy[]).find((s) => s !== chosen) ?? chosen;
}

export const matmulBench = defineBench<MatmulCase>({
  kernel: 'matmul',
  requires: ['matmul'],
  grid: [
    { n: 128, quickOnly: true },
    { n: 256, quick: true },
    { n: 512 },
    { n: 1024 },
    { n: 2048 },
    { n: 4096 },
    { n: 256, alternate: true, skipPeer: 'same as the default row' },
    { n: 512, alternate: true, skipPeer: 'same as the default row' },
    { n: 1024, alternate: true, skipPeer: 'same as the default row' },
  ],
  shape: ({ n }) => `${n}x${n}x${n}`,
  variant: ({ n }) => chooseVariant('gemm', n, n, n).variant,
  work: ({ n }) => ({ flops: 2 * n ** 3 }),
  setup: ({ n, alternate }) => {
    if (alternate) forceVariant('gemm', alternateStrategy());
    const a = oursRandom([n, n], 1);
    const b = oursRandom([n, n], 2);
    return {
      run: () => matmul(a, b),
      dispose: () => {
        a.dispose();
        b.dispose();
        forceVariant('gemm', null);
      },
    };
  },
  peer: {
    name: 'tf.matMul',
    setup: ({ n }, tf) => {
      const a = peerRandom(tf, [n, n], 1);
      const b = peerRandom(tf, [n, n], 2);
      return { run: () => tf.matMul(a, b), dispose: () => tf.dispose([a, b]) };
    },
  },
});
