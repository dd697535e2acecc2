/**
 * Loading pretrained weights into the models: torchvision ResNet state dicts and Hugging Face
 * BERT state dicts, from safetensors files (or any name -> host tensor source).
 *
 * Contract: names are mapped onto the module's state dict, shapes checked, then only the tensors
 * that match are read (lazily, so an unused 90 MB `cls.predictions.decoder.weight` is never
 * converted) and written. f16/bf16 tensors arrive as f32 and int64 as i32 (the safetensors
 * reader converts them), so torchvision's int64 `num_batches_tracked` lands in our i32 buffer.
 *   - Strict (default): every missing key, unexpected key and shape mismatch is listed in one
 *     error, before anything is written.
 *   - Non-strict: loads what matches and returns the report of the rest.
 * Name mapping:
 *   - ResNet: torchvision's names as they are. A missing `*.num_batches_tracked` (checkpoints
 *     saved before PyTorch 0.4.1, e.g. torchvision's original resnet50 weights) is set to 0, as
 *     PyTorch's BatchNorm does when it loads them (reported under `defaulted`).
 *   - BERT: the `bert.` prefix of BertFor* checkpoints is removed; the old TF-converted names
 *     `LayerNorm.gamma` / `LayerNorm.beta` become `weight` / `bias` (as HF does); HF's
 *     non-trained buffers `embeddings.position_ids` / `embeddings.token_type_ids` are ignored
 *     (reported under `ignored`); the `cls.*` pre-training heads of BertForPreTraining are
 *     ignored in non-strict mode (reported under `ignored`, with a note) and are unexpected keys
 *     in strict mode.
 */
import { nn, readSafetensorsFile, type Module, type HostTensor, type LoadReport, type SafetensorsFile } from '@fusion/tensor';
import type { ResNet } from './resnet.js';
import type { Bert } from './bert.js';

/** Where weights come from: a safetensors file path, a parsed file, or host tensors by name. */
export type WeightSource = string | SafetensorsFile | ReadonlyMap<string, HostTensor> | Record<string, HostTensor>;

export interface WeightLoadReport extends LoadReport {
  /** Entries of the source deliberately skipped (HF buffers; `cls.*` heads in non-strict mode). */
  ignored: string[];
  /** Module entries absent from the source and set to a default (`num_batches_tracked` = 0). */
  defaulted: string[];
  /** Human-readable remarks (e.g. why entries were ignored). */
  notes: string[];
}

export interface LoadWeightsOptions {
  /** Throw on any missing / unexpected key or shape mismatch (default true). */
  strict?: boolean;
}

/** Uniform access to a weight source: names, shapes without reading, data on demand. */
interface Entries {
  label: string;
  names(): string[];
  shape(name: string): readonly number[];
  read(name: string): HostTensor;
}

function entriesOf(source: Exclude<WeightSource, string>): Entries {
  if ('read' in source && typeof source.read === 'function' && 'info' in source) {
    const file = source as SafetensorsFile;
    return { label: file.fileName, names: () => file.names(), shape: (n) => file.info(n).shape, read: (n) => file.read(n) };
  }
  const map = source instanceof Map ? (source as ReadonlyMap<string, HostTensor>) : new Map(Object.entries(source as Record<string, HostTensor>));
  return { label: '<state dict>', names: () => [...map.keys()], shape: (n) => map.get(n)!.shape, read: (n) => map.get(n)! };
}

async function open(source: WeightSource): Promise<Entries> {
  return entriesOf(typeof source === 'string' ? await readSafetensorsFile(source) : source);
}

/** How a source name maps onto a module name: `{ name }`, or `{ ignore: reason }` to skip it. */
type NameMap = (name: string, strict: boolean) => { name: string } | { ignore: string };

/**
 * Maps, checks and loads. `defaults` gives a value for module entries the source may lack.
 * Tensors are read and written one at a time, so host memory holds one converted tensor at once.
 */
function load(
  module: Module, entries: Entries, mapName: NameMap, strict: boolean,
  defaults: (name: string) => HostTensor | null,
): WeightLoadReport {
  const own = module.stateDict();
  const report: WeightLoadReport = { loaded: [], missing: [], unexpected: [], mismatched: [], ignored: [], defaulted: [], notes: [] };
  const sourceOf = new Map<string, string>();
  const reasons = new Set<string>();
  for (const name of entries.names()) {
    const m = mapName(name, strict);
    if ('ignore' in m) {
      report.ignored.push(name);
      reasons.add(m.ignore);
      continue;
    }
    if (sourceOf.has(m.name)) throw new Error(`${entries.label}: ${sourceOf.get(m.name)} and ${name} both map to ${m.name}`);
    sourceOf.set(m.name, name);
    const t = own.get(m.name);
    if (!t) report.unexpected.push(name);
    else {
      const shape = entries.shape(name);
      if (shape.length !== t.shape.length || shape.some((d, i) => d !== t.shape[i])) report.mismatched.push({ name: m.name, expected: t.shape, got: shape });
    }
  }
  const defaulted = new Map<string, HostTensor>();
  for (const name of own.keys()) {
    if (sourceOf.has(name)) continue;
    const d = defaults(name);
    if (d) {
      defaulted.set(name, d);
      report.defaulted.push(name);
    } else report.missing.push(name);
  }
  report.notes.push(...reasons);
  if (strict && (report.missing.length || report.unexpected.length || report.mismatched.length)) {
    const hint = report.unexpected.some((n) => /^(bert\.)?cls\./.test(n)) ? ' (the cls.* entries are BertForPreTraining heads: load with strict: false to ignore them)' : '';
    throw new Error(`${module.constructor.name} weights from ${entries.label}: ${nn.describeLoadReport(report)}${hint}`);
  }
  module.loadStateDict(defaulted, { strict: false });
  const bad = new Set(report.mismatched.map((m) => m.name));
  for (const [name, from] of sourceOf) {
    if (!own.has(name) || bad.has(name)) continue;
    module.loadStateDict(new Map([[name, entries.read(from)]]), { strict: false });
    report.loaded.push(name);
  }
  return report;
}

const NUM_BATCHES_TRACKED = /(^|\.)num_batches_tracked$/;

function zeroCounter(name: string): HostTensor | null {
  return NUM_BATCHES_TRACKED.test(name) ? { shape: [], data: new Int32Array([0]) } : null;
}

/**
 * Loads a torchvision ResNet state dict (e.g. resnet50's) into `model`.
 * A model without fc, or built to an earlier `outStage`, reports the checkpoint's extra entries as
 * unexpected (load with strict: false to skip them).
 */
export async function loadResNetWeights(model: ResNet, source: WeightSource, options: LoadWeightsOptions = {}): Promise<WeightLoadReport> {
  return load(model, await open(source), (name) => ({ name }), options.strict ?? true, zeroCounter);
}

const HF_BUFFERS = new Set(['embeddings.position_ids', 'embeddings.token_type_ids']);

/** Maps a Hugging Face BERT checkpoint name onto Bert's names (see the module comment). */
export function mapHuggingFaceBertName(name: string, strict: boolean): { name: string } | { ignore: string } {
  const bare = name.startsWith('bert.') ? name.slice(5) : name;
  if (HF_BUFFERS.has(bare)) return { ignore: `${bare}: a Hugging Face buffer, not a weight (positions are 0..L-1 here)` };
  if (!strict && bare.startsWith('cls.')) return { ignore: 'cls.*: the pre-training heads of BertForPreTraining (masked LM, next sentence), not part of BertModel' };
  return { name: bare.replace(/\.LayerNorm\.gamma$/, '.LayerNorm.weight').replace(/\.LayerNorm\.beta$/, '.LayerNorm.bias') };
}

/**
 * Loads a Hugging Face BERT state dict (BertModel's names, or BertFor*'s with the `bert.` prefix)
 * into `model`.
 */
export async function loadBertWeights(model: Bert, source: WeightSource, options: LoadWeightsOptions = {}): Promise<WeightLoadReport> {
  return load(model, await open(source), mapHuggingFaceBertName, options.strict ?? true, () => null);
}

/** One line per non-empty field of a report (for logs and the CLI). */
export function formatWeightReport(r: WeightLoadReport): string {
  const lines = [`loaded ${r.loaded.length} tensors`];
  if (r.defaulted.length) lines.push(`defaulted (absent from the checkpoint): ${r.defaulted.join(', ')}`);
  if (r.ignored.length) lines.push(`ignored ${r.ignored.length}: ${r.ignored.length > 8 ? `${r.ignored.slice(0, 8).join(', ')}, ...` : r.ignored.join(', ')}`);
  for (const n of r.notes) lines.push(`  ${n}`);
  const rest = nn.describeLoadReport({ ...r, loaded: [] });
  if (rest !== 'ok') lines.push(rest);
  return lines.join('\n');
}
