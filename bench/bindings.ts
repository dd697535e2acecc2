/**
 * `pnpm exec tsx --conditions=source bench/bindings.ts [--preset seed] [--fusion NAME] [--batch N]
 *  [--size N] [--limit BYTES]`: which tensors of one training step are larger than a storage binding
 * may be (default: this adapter's maxStorageBufferBindingSize; `--limit 2147483648` for the H200's).
 * A meta run: every dispatch is skipped (so a batch-8 512x512 seed step costs seconds of host time
 * and no GPU work; values are meaningless, shapes are the step's), and every buffer the step
 * allocates is recorded with its label and, for tensors, its shape. Prints the allocations past the
 * limit, largest first, and the step's peak of live buffers. A binding is a whole buffer, so each
 * listed tensor fails any kernel that binds it.
 */
import { init, runtime, Tensor, type DType } from '@fusion/tensor';
import { makeTrainStep } from './src/train-step.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

interface Allocation {
  label: string;
  bytes: number;
  shape?: readonly number[];
  count: number;
}

async function main(): Promise<void> {
  const rt = await init();
  const limit = Number(flag('limit', String(rt.gpu.info.limits.maxStorageBufferBindingSize)));
  const step = await makeTrainStep({ preset: flag('preset', 'seed'), fusion: flag('fusion', 'cross-pixel'), batch: Number(flag('batch', '8')), size: Number(flag('size', '512')), batches: 1 });
  const seen = new Map<string, Allocation>();
  const note = (label: string, bytes: number, shape?: readonly number[]) => {
    if (bytes <= limit) return;
    const key = `${label} ${shape ? shape.join('x') : bytes}`;
    const a = seen.get(key);
    if (a) a.count++;
    else seen.set(key, { label, bytes, shape, count: 1 });
  };
  const empty = Tensor.empty.bind(Tensor);
  const acquire = rt.pool.acquire.bind(rt.pool);
  let inTensor = false;
  Tensor.empty = ((shape: readonly number[], dtype: DType, label?: string) => {
    note(label ?? 'tensor', shape.reduce((a, b) => a * b, 1) * 4, shape);
    inTensor = true;
    try {
      return empty(shape, dtype, label);
    } finally {
      inTensor = false;
    }
  }) as typeof Tensor.empty;
  rt.pool.acquire = ((bytes: number, usage?: number, label?: string) => {
    if (!inTensor) note(label ?? 'buffer', bytes);
    return acquire(bytes, usage, label);
  }) as typeof rt.pool.acquire;
  rt.run = () => {};
  rt.pool.resetPeak();
  const loss = step.run(0);
  await loss.item();
  loss.dispose();
  const peak = rt.memoryStats().peakBytes;
  step.dispose();
  const list = [...seen.values()].sort((a, b) => b.bytes - a.bytes);
  console.log(`${step.preset} preset, ${step.fusion}, batch ${step.batch}, ${step.size}x${step.size}: allocations larger than ${limit} bytes (${(limit / 2 ** 20).toFixed(0)} MiB), one training step`);
  for (const a of list) console.log(`  ${(a.bytes / 2 ** 20).toFixed(0).padStart(6)} MiB  ${a.shape ? `[${a.shape.join(', ')}]` : '(buffer)'}  ${a.label}${a.count > 1 ? `  x${a.count}` : ''}`);
  if (!list.length) console.log('  none');
  console.log(`peak of live buffers in the step: ${(peak / 2 ** 20).toFixed(0)} MiB (a meta run: the same allocations as a real step)`);
}

main().catch((e: Error) => {
  console.error(`bindings: ${e.message}`);
  process.exit(1);
});
