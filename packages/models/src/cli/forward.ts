/**
 * `pnpm fusion forward`: runs an encoder in eval mode on inputs from a safetensors file and
 * writes its outputs to another.
 *
 *   pnpm fusion forward --arch <resnet50|bert-base|resnet|bert> [--config JSON]
 *                       --weights W.safetensors --inputs X.safetensors --out Y.safetensors
 *
 * Architectures: `resnet50` (torchvision's, with fc) and `bert-base` (bert-base-uncased's layout)
 * take optional overrides in --config; `resnet` and `bert` are built from --config alone (ResNet /
 * Bert options, e.g. '{"layers":[1,1,1,1],"widths":[4,8,8,16]}').
 * Weights: torchvision names for ResNet; Hugging Face names for BERT, with or without the `bert.`
 * prefix. Entries the model does not have (e.g. BertForPreTraining's `cls.*` heads) are
 * reported and skipped; a model tensor missing from the file, or of another shape, is an error.
 * Inputs: `pixel_values` (B, 3, H, W) f32 for ResNet; `input_ids` (B, L), optional
 * `attention_mask` and `token_type_ids` (B, L), integer, for BERT.
 * Outputs: `feature_map`, `pooled` (and `logits` when the ResNet has fc); `last_hidden_state`,
 * `pooler_output` for BERT. All f32.
 */
import { resolve } from 'node:path';
import {
  init, destroyDevice, deviceOptionsFromEnv, noGrad, tidy, tensor, readSafetensorsFile, writeSafetensorsFile, DeviceLimitError,
  type Tensor, type SafetensorsFile, type SerializableTensor,
} from '@fusion/tensor';
import { ResNet, resnet50, type ResNetConfig } from '../resnet.js';
import { Bert, bertBaseUncased, type BertConfig } from '../bert.js';
import { loadResNetWeights, loadBertWeights, formatWeightReport, type WeightLoadReport } from '../weights.js';

export const FORWARD_HELP = `usage: pnpm fusion forward --arch <resnet50|bert-base|resnet|bert> [--config JSON]
                           --weights W.safetensors --inputs X.safetensors --out Y.safetensors

Runs the model in eval mode on the inputs and writes its outputs (all f32).
  --arch     resnet50 (torchvision's, fc included), bert-base (bert-base-uncased's layout),
             resnet / bert (configured by --config alone)
  --config   JSON options of the model (ResNet: layers, widths, stemStride, stemPool, outStage,
             numClasses; BERT: layers, hidden, heads, intermediate, vocabSize, maxPositions, ...)
  --weights  torchvision ResNet / Hugging Face BERT state dict (bert. prefix optional)
  --inputs   ResNet: pixel_values (B, 3, H, W) f32
             BERT:   input_ids (B, L), attention_mask (B, L) optional, token_type_ids (B, L) optional
  --out      ResNet: feature_map, pooled (and logits with fc); BERT: last_hidden_state, pooler_output`;

const ARCHS = ['resnet50', 'bert-base', 'resnet', 'bert'] as const;
type Arch = (typeof ARCHS)[number];

export interface ForwardArgs {
  arch: Arch;
  config: Record<string, unknown>;
  weights: string;
  inputs: string;
  out: string;
}

/** Parses the command line; errors name the missing or bad option. */
export function parseForwardArgs(args: readonly string[]): ForwardArgs {
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${JSON.stringify(a)}\n\n${FORWARD_HELP}`);
    const eq = a.indexOf('=');
    const key = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    if (!['arch', 'config', 'weights', 'inputs', 'out'].includes(key)) throw new Error(`unknown option --${key}\n\n${FORWARD_HELP}`);
    const value = eq >= 0 ? a.slice(eq + 1) : args[++i];
    if (value === undefined) throw new Error(`option --${key} needs a value`);
    values.set(key, value);
  }
  for (const k of ['arch', 'weights', 'inputs', 'out']) if (!values.has(k)) throw new Error(`missing option --${k}\n\n${FORWARD_HELP}`);
  const arch = values.get('arch')!;
  if (!(ARCHS as readonly string[]).includes(arch)) throw new Error(`--arch ${arch}: expected one of ${ARCHS.join(', ')}`);
  let config: Record<string, unknown> = {};
  if (values.has('config')) {
    try {
      config = JSON.parse(values.get('config')!);
    } catch (e) {
      throw new Error(`--config is not valid JSON (${(e as Error).message})`);
    }
    if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new Error('--config must be a JSON object');
  }
  const out = values.get('out')!;
  for (const k of ['weights', 'inputs']) {
    if (resolve(values.get(k)!) === resolve(out)) throw new Error(`--out ${out} is the --${k} file; writing it would destroy that file: choose another --out`);
  }
  return { arch: arch as Arch, config, weights: values.get('weights')!, inputs: values.get('inputs')!, out };
}

/** An input of the file as a tensor, with the dtype the model needs; errors name the field. */
function input(file: SafetensorsFile, name: string, dtype: 'f32' | 'i32' | 'any', rank: number, required: boolean): Tensor | undefined {
  if (!file.has(name)) {
    if (!required) return undefined;
    throw new Error(`${file.fileName}: missing input "${name}" (the file has: ${file.names().join(', ') || 'nothing'})`);
  }
  const t = file.read(name);
  if (t.shape.length !== rank) throw new Error(`${file.fileName}: input "${name}" has shape [${t.shape.join(', ')}], expected rank ${rank}`);
  if (dtype === 'i32' && t.dtype !== 'i32') throw new Error(`${file.fileName}: input "${name}" must be an integer tensor, got a float one`);
  if (dtype === 'f32' && t.dtype !== 'f32') return tensor(Float32Array.from(t.data), t.shape, 'f32');
  return tensor(t.data, t.shape, t.dtype);
}

async function toSerializable(outputs: Record<string, Tensor>): Promise<Record<string, SerializableTensor>> {
  const out: Record<string, SerializableTensor> = {};
  for (const [name, t] of Object.entries(outputs)) out[name] = { shape: [...t.shape], dtype: 'f32', data: (await t.toArray()) as Float32Array };
  return out;
}

function checkWeights(report: WeightLoadReport, path: string): void {
  if (report.missing.length || report.mismatched.length) throw new Error(`${path}: ${formatWeightReport(report)}`);
}

/**
 * Runs the forward command on an initialised device (the CLI wraps it with init/destroyDevice).
 * Returns the report lines it would print.
 */
export async function forwardCommand(args: ForwardArgs): Promise<string[]> {
  const log: string[] = [];
  const inputs = await readSafetensorsFile(args.inputs);
  const isResNet = args.arch === 'resnet50' || args.arch === 'resnet';
  let outputs: Record<string, SerializableTensor>;
  if (isResNet) {
    const config = args.config as ResNetConfig;
    const model = args.arch === 'resnet50' ? resnet50(config) : new ResNet(config);
    try {
      const report = await loadResNetWeights(model, args.weights, { strict: false });
      checkWeights(report, args.weights);
      log.push(formatWeightReport(report));
      model.eval();
      const images = input(inputs, 'pixel_values', 'f32', 4, true)!;
      const result = noGrad(() => tidy(() => {
        const r = model.forward(images);
        return { feature_map: r.featureMap, pooled: r.pooled, ...(r.logits ? { logits: r.logits } : {}) };
      }));
      images.dispose();
      outputs = await toSerializable(result);
      for (const t of Object.values(result)) t.dispose();
    } finally {
      model.dispose();
    }
  } else {
    const config = args.config as BertConfig;
    const model = args.arch === 'bert-base' ? bertBaseUncased(config) : new Bert(config);
    try {
      const report = await loadBertWeights(model, args.weights, { strict: false });
      checkWeights(report, args.weights);
      log.push(formatWeightReport(report));
      model.eval();
      const ids = input(inputs, 'input_ids', 'i32', 2, true)!;
      const mask = input(inputs, 'attention_mask', 'any', 2, false);
      const types = input(inputs, 'token_type_ids', 'i32', 2, false);
      const result = noGrad(() => tidy(() => {
        const r = model.forward({ inputIds: ids, attentionMask: mask, tokenTypeIds: types });
        return { last_hidden_state: r.lastHiddenState, pooler_output: r.pooled };
      }));
      for (const t of [ids, mask, types]) t?.dispose();
      outputs = await toSerializable(result);
      for (const t of Object.values(result)) t.dispose();
    } finally {
      model.dispose();
    }
  }
  await writeSafetensorsFile(args.out, outputs, { arch: args.arch, config: JSON.stringify(args.config) });
  log.push(`wrote ${Object.entries(outputs).map(([n, t]) => `${n} [${t.shape.join(', ')}]`).join(', ')} to ${args.out}`);
  return log;
}

/** `pnpm fusion forward ...`: returns the process exit code. */
export async function runForward(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(FORWARD_HELP);
    return 0;
  }
  const parsed = parseForwardArgs(args);
  await init(deviceOptionsFromEnv());
  try {
    for (const line of await forwardCommand(parsed)) console.log(line);
    return 0;
  } catch (e) {
    if (e instanceof DeviceLimitError) throw new Error(`${e.message}: this adapter cannot run these inputs; use fewer images or a smaller size in ${parsed.inputs}`);
    throw e;
  } finally {
    destroyDevice();
  }
}
