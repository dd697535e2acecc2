/**
 * `pnpm predict --checkpoint DIR --image a.png --text "..." --out mask.png`: runs a trained head
 * (DIR is a fusion's folder of a `pnpm train` run: model.json + best.safetensors) on one image
 * and writes the binary mask (white = region to edit, at the image's size) and, beside it,
 * `<out>.overlay.png` (the mask tinted over the image).
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { init, destroyDevice, noGrad, sigmoid, tidy, tensor } from '@fusion/tensor';
import { MaskModel, loadTokenizer } from '@fusion/models';
import { decodeImage, encodePng, toChwFloat, resizeBilinear, normalizeImageNet } from '../data/index.js';
import { parseFlags, usage, UsageError, type FlagTable } from './args.js';
import { BEST_WEIGHTS, MODEL_FILE, RESULT_FILE, type SavedModelConfig } from '../loop/train-fusion.js';
import { loadWeights } from '../loop/checkpoint.js';
import { checkInputFile, checkOutputs } from './output-paths.js';
import { tokenCount } from './checks.js';

export const PREDICT_FLAGS: FlagTable = {
  checkpoint: { kind: 'string', help: 'a trained head\'s folder (runs/<run>/<fusion>)' },
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
  const threshold = (flags.threshold as number | undefined) ?? 0.7;
  let saved: SavedModelConfig;
  try {
    saved = JSON.parse(await readFile(join(dir, MODEL_FILE), 'utf8')) as SavedModelConfig;
  } catch (e) {
    throw new Error(`${join(dir, MODEL_FILE)}: cannot read the model config (${(e as Error).message}); --checkpoint must be a head's folder of a pnpm train run`);
  }
  const weights = join(dir, BEST_WEIGHTS);
  const diverged = await divergedReason(dir);
  if (!existsSync(weights)) {
    throw new Error(`${weights}: no kept weights${diverged ? ` (the head diverged: ${diverged})` : ' (the head has not finished an epoch)'}; nothing to predict with`);
  }
  // model.json names the tokenizer relative to the head's folder (older runs: an absolute path).
  const tokenizerPath = resolve(dir, saved.tokenizer);
  const imagePath = resolve(flags.image as string);
  checkInputFile(imagePath, '--image');
  const out = resolve(flags.out as string);
  const overlayPath = out.replace(/\.png$/i, '') + '.overlay.png';
  const inputs = [{ path: imagePath, flag: '--image' }, { path: weights, flag: '--checkpoint' }, { path: join(dir, MODEL_FILE), flag: '--checkpoint' }, { path: tokenizerPath, flag: `${MODEL_FILE}'s tokenizer` }];
  checkOutputs([{ path: out, what: '--out' }, { path: overlayPath, what: 'the overlay' }], inputs, Boolean(flags.force));
  const decoded = decodeImage(new Uint8Array(await readFile(imagePath)), imagePath);
  const [H, W] = typeof saved.model.imageSize === 'number' ? [saved.model.imageSize, saved.model.imageSize] : saved.model.imageSize;

  const tokenizer = await loadTokenizer(tokenizerPath);
  const tokens = tokenCount(tokenizer, text);
  if (tokens > saved.maxTokens) console.warn(`pnpm predict: --text has ${tokens} tokens; this head reads the first ${saved.maxTokens} (its limit) and ignores the rest`);
  await init();
  const model = new MaskModel(saved.model);
  await loadWeights(model, weights, `head ${saved.fusion}`);
  if (diverged) console.warn(`pnpm predict: this head diverged in training (${diverged}); its kept weights are from before the divergence`);
  model.eval();
  const chw = toChwFloat(decoded);
  const resized = resizeBilinear({ data: chw, channels: 3, width: decoded.width, height: decoded.height }, W, H);
  const normalized = normalizeImageNet(resized, W * H);
  const enc = tokenizer.encodeBatch([text], { maxLength: saved.maxTokens, padding: 'max_length', truncation: true });
  const probs = noGrad(() =>
    tidy(() => {
      const { logits } = model.forward({
        images: tensor(normalized, [1, 3, H, W]),
        inputIds: tensor(enc.inputIds, [1, enc.length], 'i32'),
        attentionMask: tensor(enc.attentionMask, [1, enc.length], 'i32'),
        tokenTypeIds: tensor(enc.tokenTypeIds, [1, enc.length], 'i32'),
      });
      return sigmoid(logits);
    }),
  );
  const p = (await probs.toArray()) as Float32Array;
  probs.dispose();
  model.dispose();
  // Back to the input image's size (bilinear on probabilities, then the threshold).
  const full = resizeBilinear({ data: p, channels: 1, width: W, height: H }, decoded.width, decoded.height);
  const n = decoded.width * decoded.height;
  const mask = new Uint8Array(n * 3);
  const overlay = new Uint8Array(n * 3);
  let area = 0;
  for (let i = 0; i < n; i++) {
    const on = full[i] > threshold;
    if (on) area++;
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
