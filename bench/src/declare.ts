/**
 * Benchmarks as data. A `KernelBench` names a kernel, the `@fusion/tensor` exports it needs (it is
 * reported missing until they all exist), a grid of shapes (each in the full grid, some also in the
 * quick CI grid), the work of a case (FLOPs or bytes moved, for GFLOP/s or GB/s), how to build our
 * case and the peer's equivalent (TensorFlow.js) or why there is none. The runner times `run()`
 * only: inputs are built in `setup`, outside the timed region, and freed by `dispose`.
 */
import type { Tf } from './peer.js';

/** What one run of a case does: floating-point operations, or bytes moved for memory-bound kernels. */
export type Work = { flops: number } | { bytes: number };

/** A prepared case: the runner calls `reset` (untimed) and then times `run`, several times. */
export interface Prepared {
  /** Untimed, before every run (e.g. drops the gradients of the previous run). */
  reset?(): void;
  /** Records the work to time. Synchronous; the runner frees the tensors it creates (tidy). */
  run(): void;
  /** Frees what setup created. */
  dispose(): void;
}

/** The peer's equivalent of a case, on the peer's own tensors. */
export interface PeerCase<P> {
  /** What the peer runs, e.g. 'tf.matMul' (shown in the table and saved as peer.name). */
  name: string;
  setup(p: P, tf: Tf): Prepared;
}

/** One entry of a grid: the parameters of a case plus whether the quick grid includes it. */
export type GridEntry<P> = P & {
  /** Part of the quick (CI) grid too. */
  quick?: boolean;
  /** Only in the quick grid (a smaller stand-in for a full-grid shape). */
  quickOnly?: boolean;
  /** Why this entry does not run the peer (e.g. it repeats another row's peer measurement). */
  skipPeer?: string;
  /** Only on GPU adapters (a forced GPU kernel, or a shape too large for a CPU adapter's full grid). */
  gpuOnly?: boolean;
};

export interface KernelBench<P = unknown> {
  /** Kernel name as it appears in rows and `--filter` (e.g. 'conv2dBackwardInput'). */
  kernel: string;
  /** Dotted `@fusion/tensor` exports the case needs (e.g. 'conv2d', 'nn.Conv2d'). */
  requires: readonly string[];
  grid: readonly GridEntry<P>[];
  /** Shape label of a case (e.g. '1024x1024x1024' or 'stem 2x3x224x224 k7 s2 p3 -> 64'). */
  shape(p: P): string;
  /** Variant label (default 'default'): e.g. the GEMM strategy in effect. Called after setup. */
  variant?(p: P): string;
  work(p: P): Work;
  setup(p: P): Prepared;
  /** The peer's equivalent, or the reason there is none. */
  peer: PeerCase<P> | { none: string };
  /** A line printed under the table when the kernel ran (e.g. how the grid was sized). */
  note?: string;
}

/** Declares a benchmark (erases the parameter type so benchmarks of any kind share one list). */
export function defineBench<P>(bench: KernelBench<P>): KernelBench<unknown> {
  return bench as unknown as KernelBench<unknown>;
}

/** The entries of a grid in the quick or the full grid (without the GPU-only ones on a CPU adapter). */
export function gridEntries<P>(bench: KernelBench<P>, quick: boolean, software = false): GridEntry<P>[] {
  return bench.grid.filter((e) => (quick ? e.quick || e.quickOnly : !e.quickOnly) && !(software && e.gpuOnly));
}

/** Bytes of `n` f32 values. */
export const f32Bytes = (n: number) => 4 * n;

/** Product of the numbers. */
export const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);
