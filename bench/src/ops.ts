/**
 * Ops the benchmarks need that other engineers are still writing, typed by their agreed
 * signatures and looked up by name in `@fusion/tensor`'s exports at run time, so the benchmarks
 * compile before the ops land and light up when they do. `missingExports` lists the names not
 * exported yet; `op(name)` returns one (throwing when it is missing).
 */
import * as fusion from '@fusion/tensor';
import type { Tensor, Module } from '@fusion/tensor';

export type Pair = number | [number, number];

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
}

/** A module with a one-tensor forward (nn.Conv2d and friends). */
export interface ForwardModule extends Module {
  forward(x: Tensor): Tensor;
}

/** The agreed signatures of the ops in progress, by dotted export name. */
export interface PendingOps {
  /** NCHW input, weight (C_out, C_in, KH, KW). Shape: (N, C, H, W) -> (N, C_out, OH, OW) */
  conv2d: (x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions) => Tensor;
  'nn.Conv2d': new (inChannels: number, outChannels: number, kernelSize: Pair, options?: Conv2dOptions & { bias?: boolean }) => ForwardModule;
  maxPool2d: (x: Tensor, kernel: Pair, options?: { stride?: Pair; padding?: Pair }) => Tensor;
  batchNorm2d: (
    x: Tensor, weight: Tensor | null, bias: Tensor | null, runningMean: Tensor | null, runningVar: Tensor | null,
    options: { training: boolean; momentum?: number; eps?: number },
  ) => Tensor;
  /** Over the last dimension. */
  layerNorm: (x: Tensor, weight: Tensor | null, bias: Tensor | null, eps?: number) => Tensor;
  /** q (B, H, Lq, D), k (B, H, Lk, D), v (B, H, Lk, Dv) -> (B, H, Lq, Dv); mask (B, Lk), 1 = attend. */
  attention: (q: Tensor, k: Tensor, v: Tensor, options?: { keyPaddingMask?: Tensor; scale?: number }) => Tensor;
  /** u (B, I), v (B, J) -> (B, I, J). */
  outer: (u: Tensor, v: Tensor) => Tensor;
  bceWithLogits: (logits: Tensor, targets: Tensor, options?: { posWeight?: number | Tensor; reduction?: 'mean' | 'sum' | 'none' }) => Tensor;
}

export type PendingName = keyof PendingOps;

/** The export at a dotted path of `@fusion/tensor` ('conv2d', 'nn.Conv2d'), or undefined. */
export function findExport(path: string): unknown {
  let value: unknown = fusion;
  for (const key of path.split('.')) {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** The names among `paths` that `@fusion/tensor` does not export (yet). */
export function missingExports(paths: readonly string[]): string[] {
  return paths.filter((p) => findExport(p) === undefined);
}

/** An op in progress, typed by its agreed signature; throws when it is not exported. */
export function op<K extends PendingName>(name: K): PendingOps[K] {
  const found = findExport(name);
  if (typeof found !== 'function') throw new Error(`@fusion/tensor does not export ${name} yet`);
  return found as PendingOps[K];
}
