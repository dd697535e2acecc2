/**
 * A whole study run: one data source, a mean-mask prior from the training masks, then each
 * requested fusion head trained `seeds` times (seed s = seed + k: other initial weights and
 * training stream, the same validation and evaluation sets) and evaluated, and the report
 * (metrics.json, report.md, report.html, figures) written into the output folder. Folders: one
 * seed writes `<out>/<head>/`, several `<out>/seed-<s>/<head>/`; seeds run in turn (every head
 * of the first seed, then the next), so a cut-short run has whole seeds. With `resume`, finished
 * heads are read back from their result.json and unfinished ones continue from their last
 * checkpoint.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { manualSeed, runtime } from '@fusion/tensor';
import { MaskModel, headTraits, type BertTokenizer, type HeadSpec } from '@fusion/models';
import type { Sample } from '../data/index.js';
import { MeanMaskPrior, type EvalMetrics } from '../metrics/index.js';
import { describeMachine, writeRunReport, type ExampleRow, type FusionResult, type HeadTraitsRow, type RunReport } from '../report/index.js';
import { aggregateSeeds } from '../report/seeds.js';
import { selectionCriterion } from '../report/criterion.js';
import { trainFusion, BEST_WEIGHTS, RESULT_FILE, type SavedModelConfig, MODEL_FILE } from './train-fusion.js';
import { predictExamples, type ExamplePrediction } from './evaluate.js';
import { Progress } from './progress.js';
import type { DataSource } from './data-source.js';
import type { Preset } from '../presets.js';
import { writeJsonAtomic, loadWeights } from './checkpoint.js';

/** A head of the run: its name (the canonical spec, e.g. `cross-pixel.nocoords`) and the parsed spec. */
export interface HeadChoice {
  name: string;
  spec: HeadSpec;
}

export interface StudyOptions {
  preset: Preset;
  heads: readonly HeadChoice[];
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
  /** 0: every head trains every epoch (equal budgets). */
  patience: number;
  /** What picks the kept weights (and drives early stopping when patience > 0). */
  select: 'bce' | 'miou';
  freezeEncoders: boolean;
  /** The run's default for x, y coordinate channels (recorded; the specs carry each head's). */
  coords: boolean;
  seed: number;
  /** Trainings per head (default 1). */
  seeds?: number;
  resume: boolean;
  imageWeights?: string;
  textWeights?: string;
  command: string;
  quiet?: boolean;
  logEvery?: number;
  /** Passed to each head (tests simulate an interruption). */
  stopAfterSteps?: number;
  /** Polled after every step: true stops the run with a checkpoint (Ctrl-C); no later head starts. */
  stop?: () => boolean;
  /** The flags the run was started with, stored in run.json so `--resume` can read them back. */
  flags?: Record<string, unknown>;
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
  traits?: HeadTraitsRow;
}

/** The folder of one head at one seed. */
export function headDir(out: string, head: string, seed: number, seeds: number): string {
  return seeds > 1 ? join(out, `seed-${seed}`, head) : join(out, head);
}

function traitsOf(model: MaskModel): HeadTraitsRow {
  return { ...headTraits(model.fusion) };
}

async function finishedHead(dir: string, o: StudyOptions, examples: readonly Sample[]): Promise<HeadOutcome | null> {
  const file = join(dir, RESULT_FILE);
  if (!o.resume || !existsSync(file)) return null;
  const saved = JSON.parse(await readFile(file, 'utf8')) as { result: FusionResult; evaluation: EvalMetrics };
  // --epochs raised on resume: a head that trained every epoch it had continues from its checkpoint.
  if (saved.result.epochs < o.epochs && !saved.result.stoppedEarly && !saved.result.diverged) return null;
  const config = JSON.parse(await readFile(join(dir, MODEL_FILE), 'utf8')) as SavedModelConfig;
  manualSeed(0);
  const model = new MaskModel(config.model);
  try {
    if (!existsSync(join(dir, BEST_WEIGHTS))) {
      // A head that diverged before any epoch gave finite weights kept none: nothing to show.
      const blank = examples.map((s) => ({ probabilities: new Float32Array(s.width * s.height).fill(Number.NaN) }));
      return { ...saved, examples: blank, traits: traitsOf(model) };
    }
    await loadWeights(model, join(dir, BEST_WEIGHTS));
    const predictions = examples.length ? await predictExamples(model, examples, { tokenizer: o.tokenizer, maxTokens: o.preset.maxTokens, batch: o.batch }) : [];
    return { ...saved, examples: predictions, traits: traitsOf(model) };
  } finally {
    model.dispose();
  }
}

/** Whether the encoders train, and why that is the preset's choice. */
function encoderNote(o: StudyOptions): string {
  const pretrained = o.imageWeights !== undefined || o.textWeights !== undefined;
  if (o.freezeEncoders) {
    return `Encoders frozen (--freeze-encoders): no optimizer updates and no backward pass through ResNet and BERT; only the fusion head and the decoder train. ${pretrained
      ? `With pretrained encoders this is the study's setting: Adam at lr ${o.lr} would wash their pretraining out within a few hundred steps (fine-tuning uses about 2e-5), and frozen, every head is compared on the same features.`
      : 'These encoders are randomly initialised, so every head sees the same random features.'}`;
  }
  return `Encoders trained with the head (--freeze-encoders=false)${pretrained
    ? `, from pretrained weights at Adam lr ${o.lr}: far above usual fine-tuning rates (about 2e-5), so their pretraining may wash out.`
    : `: they are small and randomly initialised, so frozen they would hand every head random features.`}`;
}

/** What a study run ended with: the report, heads cut short (to resume), and heads that diverged. */
export interface StudyOutcome {
  report: RunReport;
  incomplete: string[];
  diverged: string[];
}

/**
 * Settings of a resumed run that differ from its run.json: every setting must agree, except the
 * heads (more may be added) and the epochs (which may be raised); empty when all agree.
 */
export function changedSettings(previous: Record<string, unknown>, config: Record<string, unknown>): string[] {
  return Object.keys(config).filter((k) => {
    if (k === 'fusions') return false;
    if (k === 'epochs' && typeof previous.epochs === 'number' && (config.epochs as number) >= previous.epochs) return false;
    return JSON.stringify(config[k]) !== JSON.stringify(previous[k]);
  }).map((k) => `${k}: ${JSON.stringify(previous[k])} -> ${JSON.stringify(config[k])}${k === 'epochs' ? ' (epochs may only be raised)' : ''}`);
}

export async function runStudy(o: StudyOptions): Promise<StudyOutcome> {
  const log = o.log ?? ((line: string) => console.log(line));
  const started = performance.now();
  const seeds = o.seeds ?? 1;
  await mkdir(o.out, { recursive: true });
  const config = {
    preset: o.preset.name, fusions: o.heads.map((h) => h.name), data: o.data.name, size: o.size, batch: o.batch, epochs: o.epochs, lr: o.lr,
    schedule: o.schedule, posWeight: o.posWeight, patience: o.patience, select: o.select, minDelta: o.preset.minDelta, seed: o.seed, seeds,
    coords: o.coords, freezeEncoders: o.freezeEncoders, holdout: o.data.holdout ?? null,
    train: o.data.trainPerEpoch, validation: o.data.validation.length, eval: o.data.evaluation.length,
    maxTokens: o.preset.maxTokens, tokenizer: o.tokenizerPath, imageWeights: o.imageWeights ?? null, textWeights: o.textWeights ?? null,
  };
  const runFile = join(o.out, 'run.json');
  if (o.resume && existsSync(runFile)) {
    const previous = JSON.parse(await readFile(runFile, 'utf8')) as { config: Record<string, unknown> };
    const changed = changedSettings(previous.config, config);
    if (changed.length) {
      throw new Error(`--resume: ${runFile} was made with other settings (${changed.join('; ')}); give the same flags, or none: --resume reads them from run.json`);
    }
  }
  await writeJsonAtomic(runFile, { command: o.command, config, flags: o.flags ?? null, startedAt: new Date().toISOString() });

  const prior = meanMaskPrior(o.data, Math.min(2000, Math.max(o.data.trainPerEpoch, 64)));
  const examples = pickExamples(o.data.evaluation, o.preset.examples);
  const progress = new Progress(process.stderr, o.quiet);
  /** Per head, its outcome at each finished seed, in seed order. */
  const outcomes = new Map<string, HeadOutcome[]>();
  const incomplete: string[] = [];
  const diverged: string[] = [];
  for (let k = 0; k < seeds; k++) {
    const seed = o.seed + k;
    const data = k === 0 ? o.data : o.data.withTrainSeed(seed);
    // Examples are drawn by the first seed's weights only.
    const shown = k === 0 ? examples : [];
    for (const head of o.heads) {
      const label = seeds > 1 ? `${head.name} (seed ${seed})` : head.name;
      const dir = headDir(o.out, head.name, seed, seeds);
      if (o.stop?.()) {
        incomplete.push(label);
        continue;
      }
      let outcome: HeadOutcome | 'interrupted' | null = await finishedHead(dir, o, shown);
      if (outcome) {
        log(`${label}: finished earlier, read from ${join(dir, RESULT_FILE)}`);
      } else {
        const model = { ...o.preset.model(head.spec, o.size, o.tokenizer.vocabSize), freezeEncoders: o.freezeEncoders };
        const trained = await trainFusion({
          fusion: head.name, dir, model, data, tokenizer: o.tokenizer, tokenizerPath: o.tokenizerPath, batch: o.batch, epochs: o.epochs,
          lr: o.lr, schedule: o.schedule, posWeight: o.posWeight, patience: o.patience, select: o.select, minDelta: o.preset.minDelta, seed, maxTokens: o.preset.maxTokens,
          prior, examples: shown, resume: o.resume, imageWeights: o.imageWeights, textWeights: o.textWeights, logEvery: o.logEvery, stopAfterSteps: o.stopAfterSteps,
          stop: o.stop, progress, log,
        });
        outcome = trained;
      }
      if (outcome === 'interrupted') {
        incomplete.push(label);
        continue;
      }
      if (!outcomes.has(head.name)) outcomes.set(head.name, []);
      outcomes.get(head.name)!.push(outcome);
      if (outcome.result.diverged) diverged.push(label);
      const m = outcome.evaluation.model;
      log(`${label}: eval mIoU ${m['0.5'].meanIoU.toFixed(3)} @0.5, ${m['0.7'].meanIoU.toFixed(3)} @0.7 (${outcome.result.trainSeconds.toFixed(0)} s training, ${outcome.result.imagesPerSecond.toFixed(1)} img/s)`);
    }
  }

  // A head is reported when every seed finished.
  const heads = o.heads.map((h) => h.name).filter((h) => outcomes.get(h)?.length === seeds);
  const resultOf = (h: string): FusionResult => {
    const list = outcomes.get(h)!;
    const result = seeds > 1 ? aggregateSeeds(list.map((x) => x.result)) : list[0].result;
    const traits = list[0].result.traits ?? list[0].traits;
    return traits ? { ...result, traits } : result;
  };
  const exampleRows: ExampleRow[] = examples.map((s, i) => {
    const row: ExampleRow = { width: s.width, height: s.height, image: s.image, instruction: s.instruction, kind: s.kind, trueMask: s.mask, predicted: {} };
    for (const f of heads) {
      const p = outcomes.get(f)![0].examples[i];
      row.predicted[f] = p.probabilities;
      if (p.attention) (row.attention ??= {})[f] = p.attention;
    }
    return row;
  });
  const kinds: Record<string, number> = {};
  for (const s of o.data.evaluation) if (s.kind) kinds[s.kind] = (kinds[s.kind] ?? 0) + 1;
  const first = heads.length ? outcomes.get(heads[0])![0].evaluation : null;
  const unseen = o.data.evaluation.filter((s) => s.holdout === 'unseen').length;
  const samplesPerHead = o.epochs * Math.floor(o.data.trainPerEpoch / o.batch) * o.batch;
  const budget = o.patience > 0
    ? `Training: up to ${o.epochs} epoch${o.epochs === 1 ? '' : 's'} (${samplesPerHead} training samples per head and seed).`
    : `Equal budgets: every head trains for ${o.epochs} epoch${o.epochs === 1 ? '' : 's'} (${samplesPerHead} training samples per head and seed).`;
  const report: RunReport = {
    title: `Fusion study: ${heads.join(', ') || 'no head finished'} on ${o.data.name}`,
    createdAt: new Date().toISOString(),
    command: o.command,
    machine: describeMachine(runtime().gpu.info.description || runtime().gpu.info.device),
    config,
    dataset: {
      name: o.data.name, train: o.data.trainPerEpoch, eval: o.data.evaluation.length, kinds: Object.keys(kinds).length ? kinds : undefined,
      emptyMasks: o.data.evaluation.filter((s) => !s.mask.some((v) => v !== 0)).length,
      ...(o.data.holdout ? { holdout: { seen: o.data.evaluation.length - unseen, unseen } } : {}),
    },
    fusions: heads.map(resultOf),
    baselines: first ? first.baselines : [],
    examples: exampleRows,
    wallSeconds: (performance.now() - started) / 1000,
    notes: [
      `${budget} Validation after every epoch on ${o.data.validation.length} held-out samples (separate from the ${o.data.evaluation.length} evaluation samples). ${selectionCriterion(config)} The reported metrics are those weights' on the evaluation set.`,
      seeds > 1
        ? `Seeds: each head trained ${seeds} times (seeds ${o.seed}..${o.seed + seeds - 1}: other initial weights and training samples; the same validation and evaluation sets); tables give the mean ± the standard deviation over seeds; examples and attention maps are from seed ${o.seed}.`
        : `Single seed (${o.seed}): each head trained once, so the spread over training seeds is not measured (--seeds N).`,
      encoderNote(o),
      `Coordinate channels: ${o.coords ? 'on' : 'off'} by default for every head that sees the feature map (--coords); a .coords / .nocoords suffix overrides it per head.`,
      ...(o.data.holdout ? [`Holdout split: target (colour, shape) pairs ${o.data.holdout.pairs.map((p) => p.join(' ')).join(', ')}, relation "${o.data.holdout.relations.join('", "')}" and position "${o.data.holdout.positions.join('", "')}" never occur in a training or validation instruction's target; ${unseen} of the ${o.data.evaluation.length} eval samples use one (unseen).`] : []),
      ...(Object.keys(o.data.skipped).length ? [`Skipped rows: ${Object.entries(o.data.skipped).map(([k, v]) => `${k} ${v}`).join(', ')}.`] : []),
      ...(incomplete.length ? [`Interrupted before finishing: ${incomplete.join(', ')} (continue with --resume).`] : []),
    ],
  };
  if (heads.length) await writeRunReport(report, o.out);
  return { report, incomplete, diverged };
}
