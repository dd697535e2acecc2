/**
 * `pnpm exec tsx --conditions=source bench/bindings.ts [--preset seed] [--fusion NAME] [--batch N]
 *  [--size N] [--limit BYTES] [--precision f32|mixed]`: which tensors of one training step are larger
 * than a storage binding may be (default: this adapter's maxStorageBufferBindingSize; `--limit
 * 2147483648` for the H200's); `--precision mixed` lists the mixed step's (f16 tensors take half
 * the bytes of f32 ones).
 * A meta run: every dispatch is skipped (so a batch-8 512x512 seed step costs seconds of host time
 * and no GPU work; values are meaningless, shapes are the step's), and every buffer the step
 * allocates is recorded with its label and, for tensors, its shape. Prints the allocations past the
 * limit, largest first, then the dispatches that would bind such a buffer whole (each a
 * DeviceLimitError in a real step; the ops that split their work by chunks bind only copies that
 * fit), and the step's peak of live buffers. `--limit` also sets the limit the ops split by (the
 * binding-limit test hook), so the listing is the one that adapter's step would give.
 */
import { init, bytesPerElement, Tensor, setBindingLimitForTests, type DType } from '@fusion/tensor';
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
  if (!(Number.isInteger(limit) && limit >= 4)) throw new Error(`--limit must be a whole number of bytes >= 4, got ${flag('limit', '')}`);
  setBindingLimitForTests(limit);
  const step = await makeTrainStep({ preset: flag('preset', 'seed'), fusion: flag('fusion', 'cross-pixel'), batch: Number(flag('batch', '8')), size: Number(flag('size', '512')), batches: 1, precision: flag('precision', 'f32') });
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
    note(label ?? 'tensor', shape.reduce((a, b) => a * b, 1) * bytesPerElement(dtype ?? 'f32'), shape);
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
  const boundWhole = new Map<string, number>();
  rt.run = (spec, variant, call) => {
    for (const [binding, buffer] of Object.entries(call.buffers)) {
      if (buffer && buffer.size > limit) {
        const key = `${spec.name}/${variant} binds "${buffer.label}" (${(buffer.size / 2 ** 20).toFixed(0)} MiB) as "${binding}"`;
        boundWhole.set(key, (boundWhole.get(key) ?? 0) + 1);
      }
    }
  };
  rt.pool.resetPeak();
  const recorded = step.record(0);
  await recorded.finish();
  await recorded.loss.item();
  recorded.loss.dispose();
  const peak = rt.memoryStats().peakBytes;
  step.dispose();
  const list = [...seen.values()].sort((a, b) => b.bytes - a.bytes);
  console.log(`${step.preset} preset, ${step.fusion}, batch ${step.batch}, ${step.size}x${step.size}: allocations larger than ${limit} bytes (${(limit / 2 ** 20).toFixed(0)} MiB), one training step`);
  for (const a of list) console.log(`  ${(a.bytes / 2 ** 20).toFixed(0).padStart(6)} MiB  ${a.shape ? `[${a.shape.join(', ')}]` : '(buffer)'}  ${a.label}${a.count > 1 ? `  x${a.count}` : ''}`);
  if (!list.length) console.log('  none');
  console.log(`dispatches that bind a buffer larger than ${limit} bytes whole (each fails a real step):`);
  for (const [what, count] of boundWhole) console.log(`  ${what}${count > 1 ? `  x${count}` : ''}`);
  if (!boundWhole.size) console.log(list.length ? '  none: the tensors above are only copied, and bound in chunks that fit' : '  none');
  console.log(`peak of live buffers in the step: ${(peak / 2 ** 20).toFixed(0)} MiB (a meta run: the same allocations as a real step)`);
}

main().catch((e: Error) => {
  console.error(`bindings: ${e.message}`);
  process.exit(1);
});
