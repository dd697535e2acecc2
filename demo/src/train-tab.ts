/**
 * The Train tab: trains a head of the tiny preset from scratch on synthetic data in the page, with
 * the pieces `pnpm train` runs (@fusion/train's synthetic source, `batchTensors`, `trainStep`,
 * `learningRateAt`, `evaluate`, `predictExamples`): Adam, BCE-with-logits with the preset's
 * positive weight, a cosine learning-rate decay over the planned steps. Losses are read back every
 * few steps (each readback waits for the GPU) and drawn live with the images per second; after
 * every epoch the validation samples are evaluated and a few of them drawn with their predicted
 * masks. Stop ends after the current step. The trained model can go to the Predict tab or be
 * downloaded as a `.fusion` head.
 * The defaults are sized for the adapter: a short run on a CPU WebGPU (SwiftShader).
 */
import { Adam, concat, manualSeed, reshape, runtime, tidy, type Tensor } from '@fusion/tensor';
import { MaskModel, tokenizerFromText, DEFAULT_TOKENIZER_PATH, type BertTokenizer, type MaskModelConfig } from '@fusion/models';
import {
  PRESETS, FUSION_KINDS, syntheticSource, batchTensors, disposeBatch, trainStep, learningRateAt, evaluate, predictExamples,
  serializeHead, hostTensors, exampleIoU, OVERLAY_THRESHOLD, type DataSource, type MaskPredictor, type Sample,
} from '@fusion/train';
import { h, nextFrame, errorMessage, formatCount } from './dom.js';
import { drawLossChart, type ChartData } from './chart.js';
import { drawMaskOverlay, fromPlanar } from './draw.js';

export interface TrainSettings {
  head: string;
  batch: number;
  /** Training samples per epoch (fresh synthetic samples every step). */
  perEpoch: number;
  epochs: number;
  lr: number;
  seed: number;
}

export interface EpochRecord {
  epoch: number;
  step: number;
  bce: number;
  meanIoU: number;
  imagesPerSecond: number;
}

export interface TrainTab {
  /** 'idle' | 'preparing' | 'running' | 'evaluating' | 'done' | 'stopped' | 'error'. */
  readonly state: string;
  readonly losses: readonly { step: number; loss: number }[];
  readonly epochs: readonly EpochRecord[];
  /** Training images per second so far (steps only, evaluation excluded). */
  readonly imagesPerSecond: number;
  /** Sets the form's values. */
  configure(settings: Partial<TrainSettings>): void;
  /** Starts training with the form's values; resolves when it ends. */
  start(): Promise<void>;
  stop(): void;
}

export interface TrainTabHost {
  /** Hands a trained model to the Predict tab (which then owns it). */
  usePredictor(p: MaskPredictor, label: string): void;
  /** A CPU adapter (SwiftShader): the defaults are a short run. */
  software: boolean;
}

/**
 * Defaults: on a GPU the tiny preset's batch and half its epoch (a few minutes); on a CPU adapter
 * (SwiftShader, about a second per image here) a short run that shows the loss falling.
 */
export function defaultSettings(software: boolean): TrainSettings {
  return software
    ? { head: 'cross-pixel', batch: 8, perEpoch: 64, epochs: 3, lr: PRESETS.tiny.lr, seed: 0 }
    : { head: 'cross-pixel', batch: PRESETS.tiny.batch, perEpoch: PRESETS.tiny.train / 2, epochs: PRESETS.tiny.epochs, lr: PRESETS.tiny.lr, seed: 0 };
}
/** Validation samples evaluated after each epoch, and how many of them are drawn. */
const VALIDATION = 48;
const SHOWN = 6;
/** Steps between loss readbacks. */
const READ_EVERY = 4;

export function mountTrainTab(root: HTMLElement, host: TrainTabHost): TrainTab {
  const preset = PRESETS.tiny;
  const defaults = defaultSettings(host.software);
  let state = 'idle';
  let stopRequested = false;
  let losses: { step: number; loss: number }[] = [];
  let epochs: EpochRecord[] = [];
  let imagesPerSecond = 0;
  let model: MaskModel | null = null;
  let trained: { predictor: MaskPredictor; head: string; config: MaskModelConfig; tokenizerText: string; epoch: number } | null = null;
  let tokenizer: { tok: BertTokenizer; text: string } | null = null;

  const field = (label: string, input: HTMLInputElement | HTMLSelectElement, hint?: string) => h('label', { class: 'field' }, h('span', {}, label), input, hint ? h('small', {}, hint) : null);
  const num = (name: keyof TrainSettings, value: number, min: number, step = 1) => h('input', { type: 'number', name, value: String(value), min, step, 'data-testid': `train-${name}` });
  const headSelect = h('select', { name: 'head', 'data-testid': 'train-head' }, ...FUSION_KINDS.map((k) => h('option', { value: k, selected: k === defaults.head }, k)));
  const inputs = {
    batch: num('batch', defaults.batch, 1),
    perEpoch: num('perEpoch', defaults.perEpoch, 1),
    epochs: num('epochs', defaults.epochs, 1),
    lr: num('lr', defaults.lr, 0, 0.0001),
    seed: num('seed', defaults.seed, 0),
  };
  const startButton = h('button', { class: 'primary', 'data-testid': 'train-start' }, 'Start training');
  const stopButton = h('button', { disabled: true, 'data-testid': 'train-stop' }, 'Stop');
  const useButton = h('button', { disabled: true, 'data-testid': 'train-use' }, 'Use in the Predict tab');
  const downloadButton = h('button', { disabled: true, 'data-testid': 'train-download' }, 'Download .fusion');
  const stats = h('div', { class: 'stats', 'data-testid': 'train-stats' });
  const chart = h('canvas', { class: 'chart', 'data-testid': 'loss-chart' });
  const epochTable = h('tbody');
  const examples = h('div', { class: 'examples', 'data-testid': 'train-examples' });
  const message = h('p', { class: 'error', hidden: true });

  const setState = (s: string) => {
    state = s;
    root.dataset.state = s;
  };
  setState('idle');

  root.append(h('div', { class: 'layout' },
    h('aside', { class: 'panel' },
      h('h3', {}, 'Model'),
      field('Fusion head', headSelect),
      h('p', { class: 'hint' }, `Tiny preset: ${preset.size}×${preset.size} images, a 2-stage ResNet, a 1-layer BERT, an 8-layer CNN decoder; every weight is trained, from random initial values.`),
      h('h3', {}, 'Schedule'),
      field('Batch', inputs.batch),
      field('Samples per epoch', inputs.perEpoch, 'fresh synthetic scenes every step'),
      field('Epochs', inputs.epochs),
      field('Learning rate', inputs.lr, 'Adam, cosine decay to 0'),
      field('Seed', inputs.seed),
      h('div', { class: 'buttons' }, startButton, stopButton),
      h('div', { class: 'buttons' }, useButton, downloadButton),
      message,
    ),
    h('div', { class: 'results' },
      stats,
      chart,
      h('table', { class: 'epochs' }, h('thead', {}, h('tr', {}, h('th', {}, 'epoch'), h('th', {}, 'step'), h('th', {}, 'validation BCE'), h('th', {}, 'validation mIoU@0.5'), h('th', {}, 'img/s'))), epochTable),
      h('h3', {}, `Held-out samples after the last epoch`),
      h('p', { class: 'hint' }, `Red: the predicted mask (probability > ${OVERLAY_THRESHOLD}, as in the report's examples); white outline: the true mask.`),
      examples,
    ),
  ));

  const settings = (): TrainSettings => ({
    head: headSelect.value,
    batch: Math.max(1, Math.floor(Number(inputs.batch.value))),
    perEpoch: Math.max(1, Math.floor(Number(inputs.perEpoch.value))),
    epochs: Math.max(1, Math.floor(Number(inputs.epochs.value))),
    lr: Number(inputs.lr.value),
    seed: Math.max(0, Math.floor(Number(inputs.seed.value))),
  });

  const chartData: ChartData = { loss: [], validation: [], totalSteps: 1 };
  const redraw = () => drawLossChart(chart, chartData);
  requestAnimationFrame(redraw);

  const showStats = (step: number, total: number, epoch: number, totalEpochs: number, lastLoss: number) => {
    stats.replaceChildren(
      stat('step', `${step} / ${total}`), stat('epoch', `${epoch} / ${totalEpochs}`), stat('loss', Number.isFinite(lastLoss) ? lastLoss.toFixed(4) : '–'),
      stat('images / s', imagesPerSecond ? imagesPerSecond.toFixed(1) : '–', 'train-ips'), stat('state', state),
    );
  };

  const drawExamples = async (m: MaskModel, samples: readonly Sample[], tok: BertTokenizer) => {
    const preds = await predictExamples(m, samples, { tokenizer: tok, maxTokens: preset.maxTokens, batch: samples.length });
    examples.replaceChildren(...samples.map((s, i) => {
      const mask = Uint8Array.from(preds[i].probabilities, (p) => (p > OVERLAY_THRESHOLD ? 1 : 0));
      const canvas = h('canvas', { class: 'pixelated' });
      drawMaskOverlay(canvas, fromPlanar(s.image, s.width, s.height), mask, s.mask);
      return h('figure', { class: 'example' }, canvas, h('figcaption', {}, s.instruction, h('b', {}, ` IoU ${exampleIoU(preds[i].probabilities, s.mask).toFixed(2)}`)));
    }));
  };

  const run = async () => {
    const o = settings();
    message.hidden = true;
    stopRequested = false;
    losses = [];
    epochs = [];
    imagesPerSecond = 0;
    epochTable.replaceChildren();
    examples.replaceChildren();
    startButton.disabled = true;
    stopButton.disabled = false;
    useButton.disabled = true;
    downloadButton.disabled = true;
    setState('preparing');
    const stepsPerEpoch = Math.max(1, Math.floor(o.perEpoch / o.batch));
    const totalSteps = o.epochs * stepsPerEpoch;
    Object.assign(chartData, { loss: [], validation: [], totalSteps });
    showStats(0, totalSteps, 0, o.epochs, NaN);
    redraw();
    let optimizer: Adam | null = null;
    try {
      if (!tokenizer) {
        const response = await fetch(DEFAULT_TOKENIZER_PATH);
        if (!response.ok) throw new Error(`${DEFAULT_TOKENIZER_PATH}: HTTP ${response.status}`);
        const text = await response.text();
        tokenizer = { tok: tokenizerFromText(text, DEFAULT_TOKENIZER_PATH), text };
      }
      const tok = tokenizer.tok;
      if (trained) trained = null;
      else model?.dispose();
      manualSeed(o.seed);
      const config = { ...preset.model(o.head, preset.size, tok.vocabSize), freezeEncoders: preset.freezeEncoders };
      model = new MaskModel(config);
      optimizer = new Adam(model.trainableParameters(), { lr: o.lr });
      const data: DataSource = syntheticSource({ seed: o.seed, size: preset.size, train: o.perEpoch, validation: VALIDATION, eval: 0 });
      const ctx = { tokenizer: tok, maxTokens: preset.maxTokens, batch: 16 };
      model.train();
      setState('running');
      let step = 0;
      let trainMs = 0;
      let trainImages = 0;
      let lastLoss = NaN;
      for (let epoch = 0; epoch < o.epochs && !stopRequested; epoch++) {
        const pending: { step: number; loss: Tensor }[] = [];
        const flush = async () => {
          if (!pending.length) return;
          const all = tidy(() => concat(pending.map((p) => reshape(p.loss, [1]))));
          const values = (await all.toArray()) as Float32Array;
          all.dispose();
          pending.forEach((p, k) => {
            losses.push({ step: p.step, loss: values[k] });
            p.loss.dispose();
          });
          lastLoss = values[values.length - 1];
          pending.length = 0;
        };
        let epochMs = 0;
        let epochImages = 0;
        while (step < (epoch + 1) * stepsPerEpoch && !stopRequested) {
          const t0 = performance.now();
          const b = batchTensors(data.trainBatch(step, o.batch), tok, preset.maxTokens);
          optimizer.lr = learningRateAt(preset.schedule, o.lr, step, totalSteps);
          const loss = trainStep(model, optimizer, b, { posWeight: preset.posWeight });
          disposeBatch(b);
          pending.push({ step, loss });
          step++;
          const endOfEpoch = step === (epoch + 1) * stepsPerEpoch;
          if (pending.length >= READ_EVERY || endOfEpoch) await flush();
          else runtime().flush();
          const dt = performance.now() - t0;
          trainMs += dt;
          epochMs += dt;
          trainImages += o.batch;
          epochImages += o.batch;
          imagesPerSecond = (1000 * trainImages) / trainMs;
          chartData.loss = losses;
          showStats(step, totalSteps, epoch + 1, o.epochs, lastLoss);
          redraw();
          await nextFrame();
        }
        await flush();
        chartData.loss = losses;
        setState('evaluating');
        showStats(step, totalSteps, epoch + 1, o.epochs, lastLoss);
        const val = await evaluate(model, data.validation, ctx);
        const record: EpochRecord = { epoch: epoch + 1, step, bce: val.model['0.5'].bce, meanIoU: val.model['0.5'].meanIoU, imagesPerSecond: (1000 * epochImages) / epochMs };
        epochs.push(record);
        chartData.validation.push({ step, loss: record.bce });
        epochTable.append(h('tr', {}, h('td', {}, record.epoch), h('td', {}, record.step), h('td', {}, record.bce.toFixed(4)), h('td', {}, record.meanIoU.toFixed(3)), h('td', {}, record.imagesPerSecond.toFixed(1))));
        await drawExamples(model, data.validation.slice(0, SHOWN), tok);
        redraw();
        if (!stopRequested) setState('running');
      }
      model.eval();
      trained = { predictor: { model, tokenizer: tok, maxTokens: preset.maxTokens }, head: o.head, config, tokenizerText: tokenizer.text, epoch: epochs.length };
      setState(stopRequested ? 'stopped' : 'done');
      useButton.disabled = false;
      downloadButton.disabled = false;
      showStats(step, totalSteps, epochs.length, o.epochs, lastLoss);
    } catch (e) {
      message.hidden = false;
      message.textContent = errorMessage(e);
      setState('error');
    } finally {
      optimizer?.dispose();
      startButton.disabled = false;
      stopButton.disabled = true;
    }
  };

  let running: Promise<void> | null = null;
  const start = () => (running ??= run().finally(() => (running = null)));
  startButton.addEventListener('click', () => void start());
  stopButton.addEventListener('click', () => {
    stopRequested = true;
    setState('stopping');
  });
  useButton.addEventListener('click', () => {
    if (!trained) return;
    const t = trained;
    trained = null;
    model = null;
    useButton.disabled = true;
    downloadButton.disabled = true;
    host.usePredictor(t.predictor, `${t.head} · ${formatCount(t.predictor.model.parameterCounts().total)} parameters · trained here, ${t.epoch} epochs`);
  });
  downloadButton.addEventListener('click', async () => {
    if (!trained) return;
    const m = trained.predictor.model;
    const bytes = serializeHead({ fusion: trained.head, model: trained.config, maxTokens: preset.maxTokens, tokenizer: JSON.stringify(JSON.parse(trained.tokenizerText)), epoch: String(trained.epoch), source: 'demo Train tab' }, await hostTensors(m.stateDict()), true);
    const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
    h('a', { href: url, download: `${trained.head}.fusion` }).click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });

  return {
    get state() {
      return state;
    },
    get losses() {
      return losses;
    },
    get epochs() {
      return epochs;
    },
    get imagesPerSecond() {
      return imagesPerSecond;
    },
    configure: (s) => {
      if (s.head !== undefined) headSelect.value = s.head;
      for (const key of ['batch', 'perEpoch', 'epochs', 'lr', 'seed'] as const) if (s[key] !== undefined) inputs[key].value = String(s[key]);
    },
    start,
    stop: () => stopButton.click(),
  };
}

function stat(label: string, value: string, testid?: string): HTMLElement {
  return h('div', { class: 'stat' }, h('span', {}, label), h('strong', testid ? { 'data-testid': testid } : {}, value));
}
