/**
 * The single-file trained head (`.fusion`), Node-free: `pnpm export` writes it from a head's folder
 * of a `pnpm train` run, and `pnpm predict` and the page's Predict tab read it. It is a safetensors
 * file (any safetensors reader opens it):
 *   tensors:      the model's state dict (parameters and BatchNorm statistics): floats as f32, or
 *                 f16 when exported with `--half` (read back as f32), integers as i32;
 *   __metadata__: format "fusion-head/1", fusion (the head spec), model (the MaskModelConfig as
 *                 JSON), max_tokens, tokenizer (the text of its tokenizer.json), and optionally
 *                 epoch and source (where it was exported from).
 * Reading checks every field and names the file and the field that is wrong.
 */
import { parseSafetensors, serializeSafetensors, type SafetensorsFile, type SerializableTensor } from '@fusion/tensor';
import { MaskModel, tokenizerFromText, type MaskModelConfig } from '@fusion/models';
import type { MaskPredictor } from './predict-mask.js';

export const HEAD_FORMAT = 'fusion-head/1';
/** The file name extension `pnpm export` suggests. */
export const HEAD_EXTENSION = '.fusion';

/** What a head file holds besides its weights. */
export interface HeadInfo {
  /** The head spec, e.g. `cross-pixel`. */
  fusion: string;
  model: MaskModelConfig;
  /** Token sequence length the head was trained with. */
  maxTokens: number;
  /** The text of the tokenizer.json it was trained with. */
  tokenizer: string;
  /** The epoch the weights come from, when known. */
  epoch?: string;
  /** Where it was exported from (informative). */
  source?: string;
}

/** A parsed head file. */
export interface HeadFile extends HeadInfo {
  weights: SafetensorsFile;
  /** File name used in errors. */
  fileName: string;
}

/** Serializes a head; `half` stores the float tensors as f16 (half the bytes, read back as f32). */
export function serializeHead(info: HeadInfo, weights: Record<string, SerializableTensor>, half = false): Uint8Array {
  const tensors: Record<string, SerializableTensor> = {};
  for (const [name, t] of Object.entries(weights)) tensors[name] = half && t.dtype !== 'i32' ? { ...t, dtype: 'f16' } : t;
  const metadata: Record<string, string> = {
    format: HEAD_FORMAT,
    fusion: info.fusion,
    model: JSON.stringify(info.model),
    max_tokens: String(info.maxTokens),
    tokenizer: info.tokenizer,
  };
  if (info.epoch !== undefined) metadata.epoch = info.epoch;
  if (info.source !== undefined) metadata.source = info.source;
  return serializeSafetensors(tensors, metadata);
}

/** Parses a head file's bytes; errors name `fileName` and the field. */
export function parseHead(bytes: Uint8Array, fileName: string): HeadFile {
  const weights = parseSafetensors(bytes, fileName);
  const meta = weights.metadata;
  const fail = (why: string): never => {
    throw new Error(`${fileName}: not a Fusion head file (${HEAD_EXTENSION}, made by pnpm export): ${why}`);
  };
  if (meta.format !== HEAD_FORMAT) fail(`metadata "format" is ${JSON.stringify(meta.format)}, expected "${HEAD_FORMAT}"`);
  for (const key of ['fusion', 'model', 'max_tokens', 'tokenizer']) if (typeof meta[key] !== 'string' || !meta[key]) fail(`metadata "${key}" is missing`);
  let model: MaskModelConfig;
  try {
    model = JSON.parse(meta.model) as MaskModelConfig;
  } catch (e) {
    return fail(`metadata "model" is not JSON (${(e as Error).message})`);
  }
  if (typeof model !== 'object' || model === null || model.imageSize === undefined || typeof model.fusion !== 'object') fail('metadata "model" is not a model config (imageSize, fusion)');
  const maxTokens = Number(meta.max_tokens);
  if (!Number.isInteger(maxTokens) || maxTokens < 2) fail(`metadata "max_tokens" must be an integer >= 2, got ${JSON.stringify(meta.max_tokens)}`);
  const head: HeadFile = { fusion: meta.fusion, model, maxTokens, tokenizer: meta.tokenizer, weights, fileName };
  if (meta.epoch !== undefined) head.epoch = meta.epoch;
  if (meta.source !== undefined) head.source = meta.source;
  return head;
}

/**
 * Builds the head's model (its weights loaded strictly) and tokenizer. Needs the device (`init()`);
 * the caller disposes `model`.
 */
export function headPredictor(head: HeadFile): MaskPredictor {
  const tokenizer = tokenizerFromText(head.tokenizer, `${head.fileName} (metadata "tokenizer")`);
  const vocab = head.model.bert?.vocabSize;
  if (vocab !== undefined && tokenizer.vocabSize > vocab) {
    throw new Error(`${head.fileName}: the tokenizer has ${tokenizer.vocabSize} tokens but the model's text encoder only ${vocab}`);
  }
  const model = new MaskModel(head.model);
  try {
    model.loadStateDict(new Map(head.weights.names().map((n) => [n, head.weights.read(n)])));
  } catch (e) {
    model.dispose();
    throw new Error(`${head.fileName}: the weights do not fit the model config (${(e as Error).message})`);
  }
  model.eval();
  return { model, tokenizer, maxTokens: head.maxTokens };
}
