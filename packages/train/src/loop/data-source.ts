/**
 * Where a run's samples come from. Three disjoint streams: training batches, a validation set
 * (model selection) and the evaluation set the reported metrics are computed on. `withTrainSeed`
 * gives the same validation and evaluation sets with another training stream (`--seeds`: each
 * seed sees other training samples, or the same pairs in another order).
 *   synthetic: synthetic-source.ts (Node-free; the page's Train tab uses it too).
 *   MagicBrush: the folder's train split gives the training pairs (its last `validation` pairs
 *              are held out for early stopping), its dev split (or, without one, the next pairs)
 *              the evaluation pairs. Training pairs are reshuffled every epoch by a seeded
 *              permutation. Images are kept as bytes (3 * H * W per pair) to bound memory.
 */
import { openMagicBrush, type Sample } from '../data/index.js';
import type { DataSource } from './synthetic-source.js';

export { syntheticSource, syntheticSeeds, type DataSource, type SyntheticSourceOptions } from './synthetic-source.js';

/** A sample whose image is stored as bytes, expanded to floats when read. */
interface CompactSample {
  id: string;
  width: number;
  height: number;
  image: Uint8Array;
  mask: Uint8Array;
  instruction: string;
}

function compact(s: Sample): CompactSample {
  const image = new Uint8Array(s.image.length);
  for (let i = 0; i < image.length; i++) image[i] = Math.round(Math.min(1, Math.max(0, s.image[i])) * 255);
  return { id: s.id, width: s.width, height: s.height, image, mask: s.mask, instruction: s.instruction };
}

function expand(c: CompactSample): Sample {
  const image = new Float32Array(c.image.length);
  for (let i = 0; i < image.length; i++) image[i] = c.image[i] / 255;
  return { id: c.id, width: c.width, height: c.height, image, mask: c.mask, instruction: c.instruction };
}

/** Seeded Fisher-Yates permutation of 0..n-1. */
export function permutation(n: number, seed: number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = n - 1; i > 0; i--) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const j = s % (i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

async function take(path: string, split: string | undefined, size: number, n: number, skipBad: boolean, skipped: Record<string, number>): Promise<CompactSample[]> {
  const ds = await openMagicBrush(path, { size, skipBad, split });
  const out: CompactSample[] = [];
  for await (const s of ds) {
    if (!s.instruction.trim()) continue;
    out.push(compact(s));
    if (out.length >= n) break;
  }
  for (const [k, v] of Object.entries(ds.skipped)) skipped[k] = (skipped[k] ?? 0) + v;
  return out;
}

export interface MagicBrushSourceOptions {
  path: string;
  seed: number;
  size: number;
  train: number;
  validation: number;
  eval: number;
  skipBad: boolean;
  /** The training batch: refused before any image is decoded when the folder holds fewer training pairs. */
  batch?: number;
}

export async function magicBrushSource(o: MagicBrushSourceOptions): Promise<DataSource> {
  const skipped: Record<string, number> = {};
  let trainPool: CompactSample[];
  let evalPool: CompactSample[];
  const trainRows = await openMagicBrush(o.path, { size: o.size, split: 'train', skipBad: true }).then((d) => d.count, () => 0);
  const hasSplits = trainRows > 0;
  // Rows are counted from the files' indexes; nothing is decoded yet.
  const available = hasSplits ? trainRows : (await openMagicBrush(o.path, { size: o.size, skipBad: true })).count;
  if (o.batch !== undefined && o.batch > Math.min(o.train, available)) {
    throw new Error(`--batch ${o.batch} is larger than the training set: ${o.path} holds ${available} ${hasSplits ? 'train-split ' : ''}rows and --train asks for ${o.train}; lower --batch`);
  }
  if (hasSplits) {
    trainPool = await take(o.path, 'train', o.size, o.train + o.validation, o.skipBad, skipped);
    evalPool = await take(o.path, 'dev', o.size, o.eval, o.skipBad, skipped).catch(() => [] as CompactSample[]);
    if (evalPool.length === 0) {
      const rest = await take(o.path, 'train', o.size, o.train + o.validation + o.eval, o.skipBad, skipped);
      evalPool = rest.slice(o.train + o.validation);
    }
  } else {
    const all = await take(o.path, undefined, o.size, o.train + o.validation + o.eval, o.skipBad, skipped);
    trainPool = all.slice(0, o.train + o.validation);
    evalPool = all.slice(o.train + o.validation);
  }
  // The asked validation pairs when the data has them all; else at most a fifth of what there is, at least one.
  const validationCount = trainPool.length >= o.train + o.validation
    ? o.validation
    : Math.min(o.validation, Math.max(1, Math.floor(trainPool.length / 5)), trainPool.length - 1);
  const train = trainPool.slice(0, trainPool.length - validationCount);
  const validation = trainPool.slice(trainPool.length - validationCount);
  if (train.length === 0) throw new Error(`${o.path}: no usable training pairs`);
  if (evalPool.length === 0) throw new Error(`${o.path}: no evaluation pairs (no dev split and fewer than ${o.train + o.validation + 1} pairs)`);
  const validationSamples = validation.map(expand);
  const evaluation = evalPool.map(expand);
  const source = (orderSeed: number): DataSource => {
    const order = new Map<number, number[]>();
    const orderOf = (epoch: number) => {
      let p = order.get(epoch);
      if (!p) {
        order.clear();
        p = permutation(train.length, orderSeed * 1000 + epoch);
        order.set(epoch, p);
      }
      return p;
    };
    return {
      name: `MagicBrush (${o.path})`,
      trainPerEpoch: train.length,
      validation: validationSamples,
      evaluation,
      trainBatch: (step, batch) => {
        const perEpoch = Math.max(1, Math.floor(train.length / batch));
        const epoch = Math.floor(step / perEpoch);
        const p = orderOf(epoch);
        const start = (step % perEpoch) * batch;
        return p.slice(start, start + batch).map((i) => expand(train[i]));
      },
      priorSamples: (n) => train.slice(0, n).map(expand),
      skipped,
      withTrainSeed: source,
    };
  };
  return source(o.seed);
}
