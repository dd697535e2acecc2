/**
 * A deterministic synthetic RunReport, to preview the report's layout without training and to test
 * the writers: scenes of a target and a distractor shape, four made-up fusion heads whose logits are
 * the true mask plus kind-dependent confusion with the distractor and noise, real metrics computed
 * from those logits (with both baselines), made-up curves and attention maps. Every number in it is
 * synthetic, and its title and notes say so.
 */
import { SegmentationMetrics } from '../metrics/accumulator.js';
import { sigmoid } from '../metrics/bce.js';
import { MeanMaskPrior } from '../metrics/prior.js';
import type { ExampleRow, FusionResult, RunReport } from './types.js';
import { Random } from '../data/prng.js';

/** Options of the sample. */
export interface SampleReportOptions {
  /** Image side in pixels (default 32). */
  size?: number;
  /** Eval samples (default 120). */
  evalSamples?: number;
  /** Examples drawn (default 4). */
  examples?: number;
  seed?: number;
}

/** How a made-up head behaves per instruction kind: signal strength on the target, confusion with the distractor. */
interface HeadBehaviour {
  fusion: string;
  signal: Record<string, number>;
  confusion: Record<string, number>;
  parameters: number;
  imagesPerSecond: number;
  attention: boolean;
}

const HEADS: readonly HeadBehaviour[] = [
  { fusion: 'concat', signal: { meaning: 1.6, position: 0.6, relational: 0.9 }, confusion: { meaning: 0.4, position: 2.2, relational: 1.4 }, parameters: 31_204_353, imagesPerSecond: 212.4, attention: false },
  { fusion: 'outer', signal: { meaning: 1.0, position: 0.5, relational: 0.6 }, confusion: { meaning: 0.8, position: 2.0, relational: 1.6 }, parameters: 27_918_017, imagesPerSecond: 240.9, attention: false },
  { fusion: 'cross-text', signal: { meaning: 2.4, position: 1.1, relational: 1.3 }, confusion: { meaning: 0.2, position: 1.6, relational: 1.0 }, parameters: 29_661_249, imagesPerSecond: 188.0, attention: true },
  { fusion: 'cross-pixel', signal: { meaning: 2.3, position: 2.2, relational: 1.6 }, confusion: { meaning: 0.3, position: 0.4, relational: 0.8 }, parameters: 29_874_305, imagesPerSecond: 176.3, attention: true },
];
const KINDS = ['meaning', 'position', 'relational'] as const;
const COLORS: Record<string, [number, number, number]> = { red: [0.85, 0.15, 0.15], blue: [0.15, 0.3, 0.9], green: [0.2, 0.7, 0.25], yellow: [0.95, 0.85, 0.1] };

/** A function drawing uniform floats in [0, 1) from the data layer's seeded mulberry32 stream. */
function makeRandom(seed: number): () => number {
  const stream = new Random(seed);
  return () => stream.next();
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

interface Scene {
  image: Float32Array;
  mask: Uint8Array;
  distractor: Uint8Array;
  instruction: string;
  kind: string;
}

function makeScene(random: () => number, size: number, index: number): Scene {
  const plane = size * size;
  const kind = KINDS[index % KINDS.length];
  const image = new Float32Array(3 * plane);
  const tint = 0.75 + 0.2 * random();
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const shade = tint - 0.15 * (y / size) + 0.03 * random();
    for (let c = 0; c < 3; c++) image[c * plane + y * size + x] = shade * (c === 2 ? 1 : 0.95);
  }
  const colorNames = Object.keys(COLORS);
  const targetColor = colorNames[Math.floor(random() * colorNames.length)];
  const twin = kind === 'position';
  const otherColor = twin ? targetColor : colorNames[(colorNames.indexOf(targetColor) + 1 + Math.floor(random() * 3)) % colorNames.length];
  const shape = random() < 0.5 ? 'circle' : 'square';
  const radius = size * (0.12 + 0.08 * random());
  const leftX = size * (0.22 + 0.1 * random());
  const rightX = size * (0.68 + 0.1 * random());
  const targetLeft = random() < 0.5;
  const cy = size * (0.35 + 0.3 * random());
  const empty = index % 13 === 5; // a few instructions name nothing that is there
  const mask = new Uint8Array(plane);
  const distractor = new Uint8Array(plane);
  const paint = (cx: number, color: [number, number, number], into: Uint8Array) => {
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
      const dx = x + 0.5 - cx, dy = y + 0.5 - cy;
      const inside = shape === 'circle' ? dx * dx + dy * dy <= radius * radius : Math.abs(dx) <= radius * 0.9 && Math.abs(dy) <= radius * 0.9;
      if (!inside) continue;
      into[y * size + x] = 1;
      for (let c = 0; c < 3; c++) image[c * plane + y * size + x] = color[c];
    }
  };
  if (!empty) paint(targetLeft ? leftX : rightX, COLORS[targetColor], mask);
  paint(targetLeft ? rightX : leftX, COLORS[otherColor], distractor);
  const side = targetLeft ? 'left' : 'right';
  const instruction = empty ? `remove the purple star`
    : kind === 'meaning' ? `remove the ${targetColor} ${shape}`
    : kind === 'position' ? `remove the ${targetColor} ${shape} on the ${side}`
    : `remove the ${shape} ${targetLeft ? 'left of' : 'right of'} the ${otherColor} ${shape}`;
  return { image, mask, distractor, instruction, kind };
}

/** Logits of a made-up head: signal on the target, confusion on the distractor, blocky and pixel noise. */
function headLogits(random: () => number, head: HeadBehaviour, scene: Scene, size: number): Float32Array {
  const signal = head.signal[scene.kind];
  const confusion = head.confusion[scene.kind];
  const block = 4;
  const coarse = Array.from({ length: Math.ceil(size / block) ** 2 }, () => gaussian(random));
  const side = Math.ceil(size / block);
  const flip = random() < 0.5 ? 1 : -1;
  return Float32Array.from({ length: size * size }, (_, i) => {
    const x = i % size, y = Math.floor(i / size);
    const noise = 1.1 * coarse[Math.floor(y / block) * side + Math.floor(x / block)] + 0.5 * gaussian(random);
    return -2.2 + signal * 2.2 * scene.mask[i] + confusion * (flip > 0 ? 1.3 : 0.7) * scene.distractor[i] + noise;
  });
}

/** Attention on a coarse grid: target and distractor pooled, weighted like the head's logits, plus noise. */
function headAttention(random: () => number, head: HeadBehaviour, scene: Scene, size: number) {
  const grid = 8;
  const cell = size / grid;
  const map = new Float32Array(grid * grid);
  for (let gy = 0; gy < grid; gy++) for (let gx = 0; gx < grid; gx++) {
    let target = 0, other = 0;
    for (let y = Math.floor(gy * cell); y < Math.floor((gy + 1) * cell); y++) for (let x = Math.floor(gx * cell); x < Math.floor((gx + 1) * cell); x++) {
      target += scene.mask[y * size + x];
      other += scene.distractor[y * size + x];
    }
    map[gy * grid + gx] = Math.max(0, (head.signal[scene.kind] * target + head.confusion[scene.kind] * other) / (cell * cell) + 0.15 * random());
  }
  return { width: grid, height: grid, map };
}

function curves(random: () => number, finalLoss: number, finalIoU: number, epochs: number, stepsPerEpoch: number) {
  const lossCurve: FusionResult['lossCurve'] = [];
  for (let step = 1; step <= epochs * stepsPerEpoch; step++) {
    const base = finalLoss + (0.69 - finalLoss) * Math.exp(-step / (stepsPerEpoch * 1.5));
    lossCurve.push({ step, loss: base * Math.exp(0.18 * gaussian(random)) });
  }
  const evalCurve = Array.from({ length: epochs }, (_, e) => {
    const progress = 1 - Math.exp(-(e + 1) / 2.5);
    return { epoch: e + 1, loss: finalLoss * 1.1 + (0.7 - finalLoss) * (1 - progress) + 0.01 * random(), meanIoU: finalIoU * progress + 0.015 * gaussian(random) };
  });
  return { lossCurve, evalCurve };
}

/** A complete, deterministic RunReport made of synthetic numbers (see the module comment). */
export function sampleRunReport(options: SampleReportOptions = {}): RunReport {
  const size = options.size ?? 32;
  const evalSamples = options.evalSamples ?? 120;
  const exampleCount = options.examples ?? 4;
  const random = makeRandom(options.seed ?? 7);
  const plane = size * size;

  const prior = new MeanMaskPrior(plane);
  for (let i = 0; i < 240; i++) prior.add(makeScene(random, size, i).mask);
  const priorValues = prior.result();

  const scenes = Array.from({ length: evalSamples }, (_, i) => makeScene(random, size, i));
  const examples: ExampleRow[] = scenes.slice(0, exampleCount).map((s) => ({
    width: size, height: size, image: s.image, instruction: s.instruction, kind: s.kind, trueMask: s.mask, predicted: {}, attention: {},
  }));
  let baselines: RunReport['baselines'] = [];
  const epochs = 12;
  const fusions = HEADS.map((head, h): FusionResult => {
    const metrics = new SegmentationMetrics({ pixelsPerSample: plane, prior: priorValues });
    scenes.forEach((scene, i) => {
      const logits = headLogits(random, head, scene, size);
      metrics.add({ logits, masks: scene.mask, labels: [scene.kind] });
      if (i < exampleCount) {
        examples[i].predicted[head.fusion] = Float32Array.from(logits, sigmoid);
        if (head.attention) examples[i].attention![head.fusion] = headAttention(random, head, scene, size);
      }
    });
    const result = metrics.result();
    if (h === 0) baselines = result.baselines;
    const { lossCurve, evalCurve } = curves(random, result.model['0.5'].bce, result.model['0.7'].meanIoU, epochs, 25);
    const bestEpoch = evalCurve.reduce((best, p) => (p.meanIoU > best.meanIoU ? p : best)).epoch;
    return {
      fusion: head.fusion,
      parameters: head.parameters,
      trainSeconds: (epochs * 25 * 16) / head.imagesPerSecond,
      imagesPerSecond: head.imagesPerSecond,
      epochs,
      bestEpoch,
      stoppedEarly: false,
      metrics: result.model,
      lossCurve,
      evalCurve,
    };
  });
  for (const e of examples) if (Object.keys(e.attention!).length === 0) delete e.attention;
  const kinds: Record<string, number> = {};
  for (const s of scenes) kinds[s.kind] = (kinds[s.kind] ?? 0) + 1;
  return {
    title: 'Fusion heads on synthetic edit instructions (SAMPLE: synthetic numbers, not a training run)',
    createdAt: '2025-01-01T00:00:00.000Z',
    command: 'pnpm train --preset sample --epochs 12 --seed 7',
    machine: { adapter: 'sample adapter (none used)', cpus: 2, os: 'sample' },
    config: { preset: 'sample', imageSize: size, epochs, batchSize: 16, lr: 1e-3, seed: options.seed ?? 7, data: 'synthetic sample scenes', threshold: 0.7 },
    dataset: { name: 'synthetic-sample', train: 240, eval: evalSamples, kinds },
    fusions,
    baselines,
    examples,
    wallSeconds: fusions.reduce((s, f) => s + f.trainSeconds, 0) + 12.5,
    notes: ['Every number in this report is synthetic: it previews the layout and was not produced by training.'],
  };
}
