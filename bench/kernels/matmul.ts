/**
 * matmul: square f32 products n x n x n, with the GEMM strategy the adapter picks; the full grid
 * also forces another strategy on the mid sizes, and on GPUs each register-blocked kernel at 1024
 * to 4096. Strategies: `tiled` and `direct` (the entry points of shaders/gemm.wgsl), `subgroup`
 * (shaders/gemm_subgroup.wgsl, the default on CPU adapters with 8-wide subgroups), `blocked4` and
 * `blocked8` (shaders/gemm_blocked.wgsl, the GPU kernels). Peer: tf.matMul. 2 n^3 FLOPs.
 */
import { matmul, chooseVariant, forceVariant } from '@fusion/tensor';
import { GEMM_VARIANTS, isBlockedStrategy, type GemmVariant } from '@fusion/kernels';
import { defineBench } from '../src/declare.js';
import { oursRandom, peerRandom } from '../src/data.js';

interface MatmulCase {
  n: number;
  /** Force the first strategy other than the adapter's default (of its kind: CPU or GPU kernels). */
  alternate?: boolean;
  /** Force this strategy. */
  force?: GemmVariant;
}

/** The first strategy that is not the adapter's default choice at n^3, among the strategies of the default's kind. */
function alternateStrategy(n: number): GemmVariant {
  forceVariant('gemm', null);
  const chosen = chooseVariant('gemm', n, n, n).variant;
  const gpu = isBlockedStrategy(chosen) || chosen === 'tiled';
  const sameKind = GEMM_VARIANTS.filter((s) => (gpu ? isBlockedStrategy(s) || s === 'tiled' : !isBlockedStrategy(s)));
  return sameKind.find((s) => s !== chosen) ?? chosen;
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
    ...[1024, 2048, 4096].flatMap((n) => (['blocked4', 'blocked8'] as const).map((force) => ({ n, force, gpuOnly: true, skipPeer: 'same as the default row' }))),
  ],
  shape: ({ n }) => `${n}x${n}x${n}`,
  variant: ({ n }) => chooseVariant('gemm', n, n, n).variant,
  work: ({ n }) => ({ flops: 2 * n ** 3 }),
  setup: ({ n, alternate, force }) => {
    if (alternate) forceVariant('gemm', alternateStrategy(n));
    if (force) forceVariant('gemm', force);
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
