/**
 * The Predict tab: a trained head (the shipped `head.fusion`, a `.fusion` file the user picks, or
 * the model just trained in the Train tab) on an image (a shipped sample, a picked or dropped
 * file) and an instruction. It shows the mask over the image, the probability map and each word's
 * attention map, and predicts again as the instruction or threshold changes (the latest input
 * wins; one prediction runs at a time). The prediction is `predictMask` from @fusion/train, the
 * function `pnpm predict` runs.
 */
import { headPredictor, parseHead, predictMask, DEFAULT_MASK_THRESHOLD, type DecodedImage, type MaskPrediction, type MaskPredictor } from '@fusion/train';
import { h, errorMessage, formatCount } from './dom.js';
import { drawAttention, drawHeatmap, drawImage, drawMaskOverlay } from './draw.js';
import { decodeImageBlob, fetchImage } from './image.js';

interface SampleEntry {
  file: string;
  instruction: string;
  kind: string;
}

export interface PredictTab {
  /** 'loading' | 'ready' | 'running' | 'done' | 'error'. */
  readonly state: string;
  /** The latest prediction and the input it was made for. */
  readonly last: { prediction: MaskPrediction; instruction: string; image: string; ms: number } | null;
  /** Predicts with another model (the Train tab's), labelled `label`. */
  usePredictor(p: MaskPredictor, label: string): void;
  /** Selects a shipped sample by file name (as a click on its thumbnail). */
  selectSample(file: string): Promise<void>;
  /** Sets the instruction (as typing it). */
  setInstruction(text: string): void;
}

export const SHIPPED_HEAD = './head.fusion';
const SAMPLES = './samples/samples.json';

export function mountPredictTab(root: HTMLElement): PredictTab {
  let predictor: MaskPredictor | null = null;
  let image: DecodedImage | null = null;
  let imageName = '';
  let state = 'loading';
  let last: PredictTab['last'] = null;
  let running = false;
  let again = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let first = true;

  const headInfo = h('p', { class: 'muted', 'data-testid': 'head-info' }, 'Loading the shipped head…');
  const headInput = h('input', { type: 'file', accept: '.fusion', 'data-testid': 'head-file' });
  const gallery = h('div', { class: 'gallery', 'data-testid': 'gallery' });
  const imageInput = h('input', { type: 'file', accept: 'image/*', 'data-testid': 'image-file' });
  const instruction = h('textarea', { class: 'instruction', rows: 2, 'data-testid': 'instruction', placeholder: 'e.g. remove the red circle', spellcheck: false });
  const thresholdOut = h('output', {}, DEFAULT_MASK_THRESHOLD.toFixed(2));
  const threshold = h('input', { type: 'range', min: 0.05, max: 0.95, step: 0.05, value: String(DEFAULT_MASK_THRESHOLD), 'data-testid': 'threshold' });
  const overlay = h('canvas', { class: 'view', 'data-testid': 'mask-canvas' });
  const overlayCaption = h('figcaption', {}, 'Mask over the image');
  const probs = h('canvas', { class: 'view pixelated', 'data-testid': 'prob-canvas' });
  const attention = h('div', { class: 'attention', 'data-testid': 'attention' });
  const timing = h('p', { class: 'muted small', 'data-testid': 'predict-timing' });
  const message = h('p', { class: 'error', hidden: true });

  const setState = (s: string) => {
    state = s;
    root.dataset.state = s;
  };
  setState('loading');

  root.append(h('div', { class: 'layout' },
    h('aside', { class: 'panel' },
      h('h3', {}, 'Instruction'), instruction,
      h('label', { class: 'row' }, 'Threshold ', threshold, thresholdOut),
      message,
      h('h3', {}, 'Image'), gallery,
      h('label', { class: 'file-button' }, 'Your own image…', imageInput),
      h('p', { class: 'hint' }, 'or drop one on the picture. The model sees it at its input size (32×32 for the tiny preset).'),
      h('h3', {}, 'Head'), headInfo,
      h('label', { class: 'file-button' }, 'Load a .fusion head…', headInput),
      h('p', { class: 'hint' }, 'Made by ', h('code', {}, 'pnpm export --checkpoint runs/…/cross-pixel --out head.fusion'), ', or by the Train tab.'),
    ),
    h('div', { class: 'results' },
      h('div', { class: 'figures' },
        h('figure', { class: 'dropzone' }, overlay, overlayCaption),
        h('figure', {}, probs, h('figcaption', {}, 'Probability of each pixel (model resolution, 0 → 1 in viridis)')),
      ),
      h('h3', {}, 'Where each pixel looks in the instruction'),
      h('p', { class: 'hint' }, 'Cross-attention of the fusion head: for each word, how much every pixel of the feature map attends to it (each map on its own scale).'),
      attention,
      timing,
    ),
  ));

  const fail = (e: unknown) => {
    message.hidden = false;
    message.textContent = errorMessage(e);
    setState('error');
  };

  const render = (p: MaskPrediction, ms: number) => {
    drawMaskOverlay(overlay, image!, p.mask);
    overlayCaption.textContent = `Mask over the image (probability > ${p.threshold.toFixed(2)}): ${(100 * p.area).toFixed(1)}% of the pixels`;
    drawHeatmap(probs, p.probabilities, p.modelWidth, p.modelHeight);
    attention.replaceChildren();
    if (p.words && p.meanAttention) {
      const cell = (label: string, draw: (c: HTMLCanvasElement) => void, cls = '') => {
        const c = h('canvas', { class: 'pixelated' });
        draw(c);
        return h('figure', { class: `word ${cls}` }, c, h('figcaption', {}, label));
      };
      attention.append(cell('mean of the words', (c) => drawAttention(c, p.meanAttention!), 'mean'));
      for (const w of p.words) attention.append(cell(w.token, (c) => drawAttention(c, w.map)));
    } else {
      attention.append(h('p', { class: 'muted' }, 'This head has no attention maps.'));
    }
    timing.textContent = `Prediction: ${ms.toFixed(0)} ms (upload, forward pass of the whole model, readback${first ? '; the first one also compiles the kernels' : ''}).`;
    first = false;
  };

  const run = async () => {
    if (!predictor || !image) return;
    const text = instruction.value.trim();
    if (!text) {
      message.hidden = false;
      message.textContent = 'Type an instruction.';
      return;
    }
    if (running) {
      again = true;
      return;
    }
    running = true;
    setState('running');
    try {
      do {
        again = false;
        const input = { text: instruction.value.trim(), threshold: Number(threshold.value), name: imageName };
        const t0 = performance.now();
        const prediction = await predictMask(predictor, image, input.text, input.threshold);
        const ms = performance.now() - t0;
        last = { prediction, instruction: input.text, image: input.name, ms };
        message.hidden = true;
        render(prediction, ms);
      } while (again);
      setState('done');
    } catch (e) {
      fail(e);
    } finally {
      running = false;
    }
  };
  const schedule = (delay = 250) => {
    clearTimeout(timer);
    timer = setTimeout(() => void run(), delay);
  };

  const useImage = (decoded: DecodedImage, name: string) => {
    image = decoded;
    imageName = name;
    drawImage(overlay, decoded);
  };

  const useHead = (p: MaskPredictor, label: string) => {
    predictor?.model.dispose();
    predictor = p;
    headInfo.textContent = label;
    setState('ready');
    schedule(0);
  };

  const selectSample = async (s: SampleEntry) => {
    for (const b of gallery.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.file === s.file));
    useImage(await fetchImage(`./samples/${s.file}`), s.file);
    instruction.value = s.instruction;
    schedule(0);
  };

  let samples: SampleEntry[] = [];
  const ready = (async () => {
    try {
      const [headBytes, list] = await Promise.all([
        fetch(SHIPPED_HEAD).then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(`${SHIPPED_HEAD}: HTTP ${r.status}`)))),
        fetch(SAMPLES).then((r) => (r.ok ? r.json() : Promise.reject(new Error(`${SAMPLES}: HTTP ${r.status}`)))) as Promise<{ samples: SampleEntry[] }>,
      ]);
      const head = parseHead(new Uint8Array(headBytes), 'head.fusion');
      const p = headPredictor(head);
      samples = list.samples;
      for (const s of samples) {
        gallery.append(h('button', { class: 'thumb', title: `${s.kind}: ${s.instruction}`, dataset: { file: s.file }, onclick: () => void selectSample(s).catch(fail) },
          h('img', { src: `./samples/${s.file}`, alt: s.instruction }), h('span', {}, s.kind)));
      }
      await selectSample(samples[0]);
      // A model handed over while this loaded (the Train tab's) stays in use.
      if (predictor) p.model.dispose();
      else useHead(p, describeHead(head.fusion, p, head.epoch, 'shipped head.fusion'));
    } catch (e) {
      fail(e);
    }
  })();

  instruction.addEventListener('input', () => schedule());
  threshold.addEventListener('input', () => {
    thresholdOut.textContent = Number(threshold.value).toFixed(2);
    schedule(50);
  });
  headInput.addEventListener('change', async () => {
    const file = headInput.files?.[0];
    if (!file) return;
    try {
      const head = parseHead(new Uint8Array(await file.arrayBuffer()), file.name);
      const p = headPredictor(head);
      useHead(p, describeHead(head.fusion, p, head.epoch, file.name));
    } catch (e) {
      fail(e);
    }
  });
  const takeFile = async (file: File) => {
    try {
      useImage(await decodeImageBlob(file, file.name), file.name);
      for (const b of gallery.querySelectorAll('button')) b.setAttribute('aria-pressed', 'false');
      schedule(0);
    } catch (e) {
      fail(e);
    }
  };
  imageInput.addEventListener('change', () => imageInput.files?.[0] && void takeFile(imageInput.files[0]));
  const zone = overlay.parentElement!;
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const file = e.dataTransfer?.files[0];
    if (file) void takeFile(file);
  });

  return {
    get state() {
      return state;
    },
    get last() {
      return last;
    },
    usePredictor: useHead,
    selectSample: async (file) => {
      await ready;
      const s = samples.find((x) => x.file === file);
      if (!s) throw new Error(`no shipped sample ${file}`);
      await selectSample(s);
    },
    setInstruction: (text) => {
      instruction.value = text;
      schedule(0);
    },
  };
}

/** 'cross-pixel · 233 986 parameters · epoch 12 · shipped head.fusion'. */
export function describeHead(fusion: string, p: MaskPredictor, epoch: string | undefined, source: string): string {
  return [fusion, `${formatCount(p.model.parameterCounts().total)} parameters`, `${p.model.imageSize[1]}×${p.model.imageSize[0]} input`, epoch ? `epoch ${epoch}` : null, source].filter(Boolean).join(' · ');
}
