/**
 * `pnpm train`: trains and evaluates the fusion heads and writes the report. With no flags it
 * runs the `tiny` preset on the synthetic diagnostic set (minutes on a 2-core CPU with lavapipe);
 * `--preset seed` is the study's setup for a GPU. See `pnpm train --help`.
 */
import { join, resolve } from 'node:path';
import { init, destroyDevice, DeviceLimitError } from '@fusion/tensor';
import { loadTokenizer, DEFAULT_TOKENIZER_PATH } from '@fusion/models';
import { parseFlags, usage, UsageError, type FlagTable } from './args.js';
import { prepareRunFolder, runFlags } from './run-folder.js';
import { checkBatch, checkSplits, checkSyntheticSize, limitHint, truncationNote } from './checks.js';
import { listenForStop, resumeCommand, ResumableError, SIGNAL_EXIT_CODES, type StopListener } from '../loop/stop.js';
import { PRESETS, FUSION_KINDS, STUDY_HEADS, STUDY_SEEDS, STUDY_EVAL, type PresetName } from '../presets.js';
import { DEFAULT_HOLDOUT } from '../data/index.js';
import { resolveHeads } from './heads.js';
import { syntheticSource, magicBrushSource, type DataSource } from '../loop/data-source.js';
import { runStudy } from '../loop/run.js';
import { resultsSummary } from './summary.js';

export const TRAIN_FLAGS: FlagTable = {
  fusion: { kind: 'list', help: `heads to train, comma separated: KIND, KIND.coords or KIND.nocoords (e.g. cross-pixel.nocoords), or all (default all: ${FUSION_KINDS.join(', ')})` },
  coords: { kind: 'string', choices: ['on', 'off'], help: 'x, y coordinate channels for every head that sees the feature map (default on; a spec suffix overrides)' },
  seeds: { kind: 'int', min: 1, help: 'train every head N times (seeds seed..seed+N-1: other initial weights and data order); the report gives mean ± sd (default 1)' },
  holdout: { kind: 'boolean', help: 'synthetic only: hold some colour-shape pairs and phrasings out of training; eval reports seen and unseen' },
  select: { kind: 'string', choices: ['bce', 'miou'], help: 'what picks the kept epoch (and early stopping with --patience): validation bce (default) or miou' },
  'freeze-encoders': { kind: 'boolean', help: 'no updates (and no backward) for ResNet and BERT; =false to train them (tiny default: trained, its encoders are random; seed default: frozen, pretrained)' },
  study: { kind: 'boolean', help: `the committed study: heads ${STUDY_HEADS.join(', ')}, ${STUDY_SEEDS} seeds, --holdout, ${STUDY_EVAL} eval samples (flags given beside it win)` },
  data: { kind: 'string', help: 'synthetic (default) or the path of a MagicBrush folder (HF parquet or original layout)' },
  preset: { kind: 'string', choices: ['tiny', 'seed'], help: 'tiny (default: small encoders, minutes on a CPU) or seed (ResNet50 + BERT-base, 512x512: a GPU)' },
  size: { kind: 'int', min: 16, help: 'image side in pixels (preset default; synthetic data: 24 to 4096)' },
  batch: { kind: 'int', min: 1, help: 'batch size (preset default)' },
  epochs: { kind: 'int', min: 1, help: 'most epochs (preset default)' },
  lr: { kind: 'number', min: 0, help: 'Adam learning rate (default 0.002, as the study)' },
  schedule: { kind: 'string', choices: ['constant', 'cosine'], help: 'learning-rate schedule (tiny: cosine decay; seed: constant, as the study)' },
  'pos-weight': { kind: 'number', min: 0, help: 'BCE weight of mask pixels (tiny: 3; seed: 1, plain BCE as the study)' },
  train: { kind: 'int', min: 1, help: 'training samples per epoch (synthetic: fresh every step) or pairs (MagicBrush)' },
  eval: { kind: 'int', min: 1, help: 'evaluation samples the reported metrics use' },
  validation: { kind: 'int', min: 1, help: 'held-out samples for early stopping' },
  seed: { kind: 'int', min: 0, help: 'seed of data, initial weights and dropout (default 0)' },
  patience: { kind: 'int', min: 0, help: 'epochs without a better validation score before stopping early (default 0: never, every head gets the same budget)' },
  out: { kind: 'string', help: 'output folder (default runs/<timestamp>); an existing run there needs --resume or --force' },
  resume: { kind: 'boolean', help: 'continue the run in --out from its checkpoints, with the flags stored in its run.json (--epochs may be raised)' },
  force: { kind: 'boolean', help: 'write into a non-empty --out, overwriting a run there' },
  'image-weights': { kind: 'string', help: 'torchvision ResNet weights (.safetensors) for the image encoder' },
  'text-weights': { kind: 'string', help: 'Hugging Face BERT weights (.safetensors) for the text encoder (needs --tokenizer)' },
  tokenizer: { kind: 'string', help: 'tokenizer.json (default: the shipped WordPiece vocabulary)' },
  'skip-bad': { kind: 'boolean', help: 'skip and count bad MagicBrush rows instead of stopping' },
  'log-every': { kind: 'int', min: 1, help: 'steps between loss readbacks (default 10)' },
  quiet: { kind: 'boolean', help: 'no progress bars' },
  help: { kind: 'boolean', help: 'show this help' },
};

function timestamp(): string {
  return new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, '');
}

async function main(argv: string[], stop: StopListener): Promise<number> {
  const given = parseFlags(argv, TRAIN_FLAGS);
  if (given.help) {
    console.log(usage('pnpm train', 'Trains the fusion heads on an instruction-to-mask task and writes a report (metrics.json, report.md, report.html, figures).', TRAIN_FLAGS));
    return 0;
  }
  if (given.resume && !given.out) throw new UsageError('--resume needs --out, the folder of the run to continue');
  const out = resolve((given.out as string | undefined) ?? join('runs', timestamp()));
  const flags = prepareRunFolder(out, given);
  const preset = PRESETS[(flags.preset as PresetName | undefined) ?? 'tiny'];
  const study = Boolean(flags.study);
  const coords = (flags.coords ?? 'on') === 'on';
  const heads = resolveHeads((flags.fusion as string[] | undefined) ?? (study ? STUDY_HEADS : ['all']), FUSION_KINDS, coords);
  const holdout = Boolean(flags.holdout ?? study);
  if (flags['text-weights'] && !flags.tokenizer) throw new UsageError('--text-weights needs --tokenizer: the tokenizer.json the BERT weights were trained with');
  const size = (flags.size as number | undefined) ?? preset.size;
  const batch = (flags.batch as number | undefined) ?? preset.batch;
  const seed = (flags.seed as number | undefined) ?? 0;
  const tokenizerPath = resolve((flags.tokenizer as string | undefined) ?? DEFAULT_TOKENIZER_PATH);
  const dataArg = (flags.data as string | undefined) ?? 'synthetic';
  if (holdout && dataArg !== 'synthetic') throw new UsageError('--holdout needs --data synthetic (the split is defined on the synthetic scenes)');
  const counts = {
    train: (flags.train as number | undefined) ?? preset.train,
    validation: (flags.validation as number | undefined) ?? preset.validation,
    eval: (flags.eval as number | undefined) ?? (study ? STUDY_EVAL : preset.eval),
  };
  if (dataArg === 'synthetic') {
    checkSyntheticSize(size);
    checkBatch(batch, counts.train);
  }

  const started = performance.now();
  const rt = await init();
  const tokenizer = await loadTokenizer(tokenizerPath);
  const seeds = (flags.seeds as number | undefined) ?? (study ? STUDY_SEEDS : 1);
  console.log(`fusion train: preset ${preset.name}, heads ${heads.map((h) => h.name).join(', ')}, ${seeds} seed${seeds > 1 ? 's' : ''}, ${size}x${size}, adapter ${rt.gpu.info.description}`);
  console.log(`output: ${out}${given.resume ? ' (resumed: settings from run.json)' : ''}`);
  const data: DataSource =
    dataArg === 'synthetic'
      ? syntheticSource({ seed, size, ...counts, ...(holdout ? { holdout: DEFAULT_HOLDOUT } : {}) })
      : await magicBrushSource({ path: resolve(dataArg), seed, size, ...counts, batch, skipBad: Boolean(flags['skip-bad']) });
  console.log(`data: ${data.name}: ${data.trainPerEpoch} training samples per epoch, ${data.validation.length} validation, ${data.evaluation.length} evaluation`);
  for (const line of checkSplits(data, counts, batch)) console.log(line);
  const cut = truncationNote(tokenizer, [...data.validation, ...data.evaluation].map((s) => s.instruction), preset.maxTokens, 'data');
  if (cut) console.log(cut);

  let outcome;
  try {
    outcome = await runStudy({
      preset, heads, data, tokenizer, tokenizerPath, out, size, seeds, coords, batch,
      select: (flags.select as 'bce' | 'miou' | undefined) ?? 'bce',
      freezeEncoders: (flags['freeze-encoders'] as boolean | undefined) ?? preset.freezeEncoders,
      epochs: (flags.epochs as number | undefined) ?? preset.epochs,
      lr: (flags.lr as number | undefined) ?? preset.lr,
      schedule: (flags.schedule as 'constant' | 'cosine' | undefined) ?? preset.schedule,
      posWeight: (flags['pos-weight'] as number | undefined) ?? preset.posWeight,
      patience: (flags.patience as number | undefined) ?? preset.patience,
      seed, resume: Boolean(flags.resume), imageWeights: flags['image-weights'] as string | undefined, textWeights: flags['text-weights'] as string | undefined,
      command: ['pnpm train', ...argv].join(' '), quiet: Boolean(flags.quiet), logEvery: flags['log-every'] as number | undefined,
      stop: () => stop.requested !== null, flags: runFlags(flags),
    });
  } catch (e) {
    if (e instanceof DeviceLimitError) throw new Error(limitHint(e, batch, size));
    if (e instanceof ResumableError) throw new Error(`${e.message}; continue with: ${resumeCommand(out)}`);
    throw e;
  }
  const { report, incomplete, diverged } = outcome;
  console.log('');
  if (report.fusions.length) {
    console.log(resultsSummary(report));
    console.log(`\nreport: ${join(out, 'report.md')} (and report.html, metrics.json)`);
  }
  console.log(`wall time: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  destroyDevice();
  if (stop.requested) {
    console.log(`stopped by ${stop.requested}: each unfinished head continues from its last checkpoint (written at the step it reached) with: ${resumeCommand(out)}`);
    return SIGNAL_EXIT_CODES[stop.requested];
  }
  if (incomplete.length) return 1;
  if (report.fusions.length > 0 && report.fusions.every((f) => f.diverged)) {
    console.error(`pnpm train: every head diverged (${diverged.join(', ')}): nothing trained; try a lower --lr`);
    return 1;
  }
  return 0;
}

const stop = listenForStop((signal) => {
  process.stderr.write(`\n${signal}: stopping after this step with a checkpoint (again to quit at once)\n`);
});
main(process.argv.slice(2), stop).then(
  (code) => process.exit(code),
  (e: Error) => {
    if (e instanceof UsageError) console.error(`pnpm train: ${e.message}\nsee pnpm train --help`);
    else console.error(`pnpm train: ${e.message}`);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
