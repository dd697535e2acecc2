/**
 * A whole study run: one data source, a mean-mask prior from the training masks, then each
 * requested fusion head trained and evaluated on the same evaluation set, and the report
 * (metrics.json, report.md, report.html, figures) written into the output folder. With
 * `resume`, finished heads are read back from their result.json and unfinished ones continue
 * from their last checkpoint.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { manualSeed, runtime } from '@fusion/tensor';
import { MaskModel, type BertTokenizer, type FusionKind } from '@fusion/models';
import type { Sample } from '../data/index.js';
import { MeanMaskPrior, type EvalMetrics } from '../metrics/index.js';
import { describeMachine, writeRunReport, type ExampleRow, type FusionResult, type RunReport } from '../report/index.js';
import { trainFusion, BEST_WEIGHTS, RESULT_FILE, type SavedModelConfig, MODEL_FILE } from './train-fusion.js';
import { predictExamples, type ExamplePrediction } from './evaluate.js';
import { Progress } from './progress.js';
import type { DataSource } from './data-source.js';
import type { Preset } from '../presets.js';
import { writeJsonAtomic, loadWeights } from './checkpoint.js';

export interface StudyOptions {
  preset: Preset;
  fusions: readonly FusionKind[];
  data: DataSource;
  tokenizer: BertTokenizer;
  tokenizerPath: string;
  out: string;
  size: number;
  batch: number;
  epochs: number;
  lr: number;
  schedule: 'constant' | 'cosine';
  posWeight: number;
  patience: number;
  seed: number;
  resume: boolean;
  imageWeights?: string;
  textWeights?: string;
  command: string;
  quiet?: boolean;
  logEvery?: number;
  /** Passed to each head (tests simulate an interruption). */
  stopAfterSteps?: number;
  log?: (line: string) => void;
}

/** Up to n evaluation samples, taking kinds in turn so each kind is shown. */
export function pickExamples(samples: readonly Sample[], n: number): Sample[] {
  const byKind = new Map<string, Sample[]>();
  for (const s of samples) {
    const k = s.kind ?? 'all';
    if (!byKind.has(k)) byKind.set(k, []);
    byKind.get(k)!.push(s);
  }
  const lists = [...byKind.values()];
  const out: Sample[] = [];
  for (let i = 0; out.length < n && lists.some((l) => i < l.length); i++) {
    for (const l of lists) if (i < l.length && out.length < n) out.push(l[i]);
  }
  return out;
}

export function meanMaskPrior(data: DataSource, n: number): Float32Array {
  const samples = data.priorSamples(n);
  const prior = new MeanMaskPrior(samples[0].width * samples[0].height);
  for (const s of samples) prior.add(s.mask);
  return prior.result();
}

interface HeadOutcome {
  result: FusionResult;
  evaluation: EvalMetrics;
  examples: ExamplePrediction[];
}

async function finishedHead(dir: string, o: StudyOptions, examples: readonly Sample[]): Promise<HeadOutcome | null> {
  const file = join(dir, RESULT_FILE);
  if (!o.resume || !existsSync(file)) return null;
  const saved = JSON.parse(await readFile(file, 'utf8')) as { result: FusionResult; evaluation: EvalMetrics };
  const config = JSON.parse(await readFile(join(dir, MODEL_FILE), 'utf8')) as SavedModelConfig;
  manualSeed(0);
  const model = new MaskModel(config.model);
  try {
    await loadWeights(model, join(dir, BEST_WEIGHTS));
    const predictions = await predictExamples(model, examples, { tokenizer: o.tokenizer, maxTokens: o.preset.maxTokens, batch: o.batch });
    return { ...saved, examples: predictions };
  } finally {
    model.dispose();
  }
}

export async function runStudy(o: StudyOptions): Promise<{ report: RunReport; incomplete: FusionKind[] }> {
  const log = o.log ?? ((line: string) => console.log(line));
  const started = performance.now();
  await mkdir(o.out, { recursive: true });
  const config = {
    preset: o.preset.name, fusions: o.fusions, data: o.data.name, size: o.size, batch: o.batch, epochs: o.epochs, lr: o.lr,
    schedule: o.schedule, posWeight: o.posWeight, patience: o.patience, minDelta: o.preset.minDelta, seed: o.seed, train: o.data.trainPerEpoch, validation: o.data.validation.length, eval: o.data.evaluation.length,
    maxTokens: o.preset.maxTokens, tokenizer: o.tokenizerPath, imageWeights: o.imageWeights ?? null, textWeights: o.textWeights ?? null,
  };
  const runFile = join(o.out, 'run.json');
  if (o.resume && existsSync(runFile)) {
    const previous = JSON.parse(await readFile(runFile, 'utf8')) as { config: Record<string, unknown> };
    const changed = Object.keys(config).filter((k) => JSON.stringify((config as Record<string, unknown>)[k]) !== JSON.stringify(previous.config[k]) && k !== 'fusions');
    if (changed.length) throw new Error(`--resume: ${runFile} was made with other settings (${changed.map((k) => `${k}: ${JSON.stringify(previous.config[k])} -> ${JSON.stringify((config as Record<string, unknown>)[k])}`).join('; ')})`);
  }
  await writeJsonAtomic(runFile, { command: o.command, config, startedAt: new Date().toISOString() });

  const prior = meanMaskPrior(o.data, Math.min(2000, Math.max(o.data.trainPerEpoch, 64)));
  const examples = pickExamples(o.data.evaluation, o.preset.examples);
  const progress = new Progress(process.stderr, o.quiet);
  const outcomes = new Map<FusionKind, HeadOutcome>();
  const incomplete: FusionKind[] = [];
  for (const fusion of o.fusions) {
    const dir = join(o.out, fusion);
    const done = await finishedHead(dir, o, examples);
    if (done) {
      log(`${fusion}: finished earlier, read from ${join(dir, RESULT_FILE)}`);
      outcomes.set(fusion, done);
      continue;
    }
    const model = o.preset.model(fusion, o.size, o.tokenizer.vocabSize);
    const outcome = await trainFusion({
      fusion, dir, model, data: o.data, tokenizer: o.tokenizer, tokenizerPath: o.tokenizerPath, batch: o.batch, epochs: o.epochs,
      lr: o.lr, schedule: o.schedule, posWeight: o.posWeight, patience: o.patience, minDelta: o.preset.minDelta, seed: o.seed, maxTokens: o.preset.maxTokens, prior, examples, resume: o.resume,
      imageWeights: o.imageWeights, textWeights: o.textWeights, logEvery: o.logEvery, stopAfterSteps: o.stopAfterSteps, progress, log,
    });
    if (outcome === 'interrupted') {
      incomplete.push(fusion);
      continue;
    }
    outcomes.set(fusion, outcome);
    const m = outcome.evaluation.model;
    log(`${fusion}: eval mIoU ${m['0.5'].meanIoU.toFixed(3)} @0.5, ${m['0.7'].meanIoU.toFixed(3)} @0.7 (${outcome.result.trainSeconds.toFixed(0)} s training, ${outcome.result.imagesPerSecond.toFixed(1)} img/s)`);
  }

  const heads = o.fusions.filter((f) => outcomes.has(f));
  const exampleRows: ExampleRow[] = examples.map((s, i) => {
    const row: ExampleRow = { width: s.width, height: s.height, image: s.image, instruction: s.instruction, kind: s.kind, trueMask: s.mask, predicted: {} };
    for (const f of heads) {
      const p = outcomes.get(f)!.examples[i];
      row.predicted[f] = p.probabilities;
      if (p.attention) (row.attention ??= {})[f] = p.attention;
    }
    return row;
  });
  const kinds: Record<string, number> = {};
  for (const s of o.data.evaluation) if (s.kind) kinds[s.kind] = (kinds[s.kind] ?? 0) + 1;
  const first = heads.length ? outcomes.get(heads[0])!.evaluation : null;
  const report: RunReport = {
    title: `Fusion study: ${heads.join(', ') || 'no head finished'} on ${o.data.name}`,
    createdAt: new Date().toISOString(),
    command: o.command,
    machine: describeMachine(runtime().gpu.info.description || runtime().gpu.info.device),
    config,
    dataset: { name: o.data.name, train: o.data.trainPerEpoch, eval: o.data.evaluation.length, kinds: Object.keys(kinds).length ? kinds : undefined },
    fusions: heads.map((f) => outcomes.get(f)!.result),
    baselines: first ? first.baselines : [],
    examples: exampleRows,
    wallSeconds: (performance.now() - started) / 1000,
    notes: [
      `Early stopping on the validation mean IoU at threshold 0.5 (${o.data.validation.length} held-out samples, separate from the ${o.data.evaluation.length} evaluation samples); the reported metrics are those of the best validation epoch, on the evaluation set.`,
      ...(Object.keys(o.data.skipped).length ? [`Skipped rows: ${Object.entries(o.data.skipped).map(([k, v]) => `${k} ${v}`).join(', ')}.`] : []),
      ...(incomplete.length ? [`Interrupted before finishing: ${incomplete.join(', ')} (continue with --resume).`] : []),
    ],
  };
  if (heads.length) await writeRunReport(report, o.out);
  return { report, incomplete };
}
