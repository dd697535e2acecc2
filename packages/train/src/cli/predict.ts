/**
 * `pnpm predict --checkpoint DIR --image a.png --text "..." --out mask.png`: runs a trained head
 * (DIR is a fusion's folder of a `pnpm train` run: model.json + best.safetensors, or a single-file
 * head made by `pnpm export`) on one image and writes the binary mask (white = region to edit, at
 * the image's size) and, beside it, `<out>.overlay.png` (the mask tinted over the image). The
 * prediction itself is `predictMask`, which the page's Predict tab runs too.
 */
import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { init, destroyDevice } from '@fusion/tensor';
import { MaskModel, loadTokenizer } from '@fusion/models';
import { decodeImage, encodePng } from '../data/index.js';
import { parseFlags, usage, UsageError, type FlagTable } from './args.js';
import { BEST_WEIGHTS, MODEL_FILE, RESULT_FILE, type SavedModelConfig } from '../loop/train-fusion.js';
import { loadWeights } from '../loop/checkpoint.js';
import { checkInputFile, checkOutputs } from './output-paths.js';
import { tokenCount } from './checks.js';
import { predictMask, DEFAULT_MASK_THRESHOLD, type MaskPredictor } from '../predict/predict-mask.js';
import { headPredictor, parseHead } from '../predict/head-file.js';

/** A head's folder of a `pnpm train` run as a predictor (needs the device). */
async function folderPredictor(saved: SavedModelConfig, weights: string, tokenizerPath: string): Promise<MaskPredictor> {
  const tokenizer = await loadTokenizer(tokenizerPath);
  const model = new MaskModel(saved.model);
  await loadWeights(model, weights, `head ${saved.fusion}`);
  model.eval();
  return { model, tokenizer, maxTokens: saved.maxTokens };
}

export const PREDICT_FLAGS: FlagTable = {
  checkpoint: { kind: 'string', help: 'a trained head: its folder of a pnpm train run (runs/<run>/<fusion>) or a .fusion file from pnpm export' },
  image: { kind: 'string', help: 'input image (PNG or JPEG)' },
  text: { kind: 'string', help: 'the edit instruction' },
  out: { kind: 'string', help: 'output mask PNG (an overlay is written beside it); never one of the inputs' },
  threshold: { kind: 'number', min: 0, max: 1, help: 'probability threshold in [0, 1] (default 0.7, the study\'s)' },
  force: { kind: 'boolean', help: 'overwrite existing output files' },
  help: { kind: 'boolean', help: 'show this help' },
};

async function main(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, PREDICT_FLAGS);
  if (flags.help) {
    console.log(usage('pnpm predict', 'Predicts the edit mask of one image and instruction with a trained head.', PREDICT_FLAGS));
    return 0;
  }
  for (const name of ['checkpoint', 'image', 'text', 'out']) if (flags[name] === undefined) throw new UsageError(`--${name} is required`);
  const dir = resolve(flags.checkpoint as string);
  const text = String(flags.text).trim();
  if (!text) throw new UsageError('--text is empty');
  const threshold = (flags.threshold as number | undefined) ?? DEFAULT_MASK_THRESHOLD;
  const imagePath = resolve(flags.image as string);
  checkInputFile(imagePath, '--image');
  const out = resolve(flags.out as string);
  const overlayPath = out.replace(/\.png$/i, '') + '.overlay.png';
  const inputs = [{ path: imagePath, flag: '--image' }];
  const headFile = (await stat(dir).catch(() => null))?.isFile() ? parseHead(new Uint8Array(await readFile(dir)), dir) : null;
  let folder: { saved: SavedModelConfig; weights: string; tokenizerPath: string; diverged: string | null } | null = null;
  if (headFile) {
    inputs.push({ path: dir, flag: '--checkpoint' });
  } else {
    let saved: SavedModelConfig;
    try {
      saved = JSON.parse(await readFile(join(dir, MODEL_FILE), 'utf8')) as SavedModelConfig;
    } catch (e) {
      throw new Error(`${join(dir, MODEL_FILE)}: cannot read the model config (${(e as Error).message}); --checkpoint must be a head's folder of a pnpm train run or a .fusion file`);
    }
    const weights = join(dir, BEST_WEIGHTS);
    const diverged = await divergedReason(dir);
    if (!existsSync(weights)) {
      throw new Error(`${weights}: no kept weights${diverged ? ` (the head diverged: ${diverged})` : ' (the head has not finished an epoch)'}; nothing to predict with`);
    }
    // model.json names the tokenizer relative to the head's folder (older runs: an absolute path).
    const tokenizerPath = resolve(dir, saved.tokenizer);
    inputs.push({ path: weights, flag: '--checkpoint' }, { path: join(dir, MODEL_FILE), flag: '--checkpoint' }, { path: tokenizerPath, flag: `${MODEL_FILE}'s tokenizer` });
    folder = { saved, weights, tokenizerPath, diverged };
  }
  checkOutputs([{ path: out, what: '--out' }, { path: overlayPath, what: 'the overlay' }], inputs, Boolean(flags.force));
  const decoded = decodeImage(new Uint8Array(await readFile(imagePath)), imagePath);

  await init();
  const predictor = headFile ? headPredictor(headFile) : await folderPredictor(folder!.saved, folder!.weights, folder!.tokenizerPath);
  if (folder?.diverged) console.warn(`pnpm predict: this head diverged in training (${folder.diverged}); its kept weights are from before the divergence`);
  const tokens = tokenCount(predictor.tokenizer, text);
  if (tokens > predictor.maxTokens) console.warn(`pnpm predict: --text has ${tokens} tokens; this head reads the first ${predictor.maxTokens} (its limit) and ignores the rest`);
  const prediction = await predictMask(predictor, decoded, text, threshold);
  predictor.model.dispose();
  const n = decoded.width * decoded.height;
  const mask = new Uint8Array(n * 3);
  const overlay = new Uint8Array(n * 3);
  const area = Math.round(prediction.area * n);
  for (let i = 0; i < n; i++) {
    const on = prediction.mask[i] === 1;
    mask.fill(on ? 255 : 0, 3 * i, 3 * i + 3);
    for (let c = 0; c < 3; c++) {
      const v = decoded.data[i * decoded.channels + c];
      overlay[3 * i + c] = on ? Math.round(0.45 * v + 0.55 * (c === 0 ? 255 : 40)) : v;
    }
  }
  await writeFile(out, encodePng(mask, decoded.width, decoded.height));
  await writeFile(overlayPath, encodePng(overlay, decoded.width, decoded.height));
  console.log(`mask: ${out} (${((100 * area) / n).toFixed(1)}% of the image above ${threshold}); overlay: ${overlayPath}`);
  destroyDevice();
  return 0;
}

/** Why the head in `dir` diverged, from its result.json, or null. */
async function divergedReason(dir: string): Promise<string | null> {
  try {
    const r = JSON.parse(await readFile(join(dir, RESULT_FILE), 'utf8')) as { result?: { diverged?: { reason: string } } };
    return r.result?.diverged?.reason ?? null;
  } catch {
    return null;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`pnpm predict: ${e.message}`);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
