/**
 * `pnpm export --checkpoint DIR --out head.fusion [--half] [--force]`: writes a trained head
 * (DIR: a fusion's folder of a `pnpm train` run: model.json, best.safetensors and the tokenizer
 * model.json names) as one self-contained file that `pnpm predict --checkpoint` and the demo
 * page's Predict tab read (format: predict/head-file.ts). `--half` stores the weights as f16 (half
 * the size). An existing --out is replaced only with --force. Needs no GPU.
 */
import { access, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readSafetensorsFile, type SerializableTensor } from '@fusion/tensor';
import { parseFlags, usage, UsageError, type FlagTable } from './args.js';
import { BEST_WEIGHTS, MODEL_FILE, type SavedModelConfig } from '../loop/train-fusion.js';
import { parseHead, serializeHead, HEAD_EXTENSION } from '../predict/head-file.js';

export const EXPORT_FLAGS: FlagTable = {
  checkpoint: { kind: 'string', help: 'a trained head\'s folder (runs/<run>/<fusion>)' },
  out: { kind: 'string', help: `the head file to write (e.g. head${HEAD_EXTENSION})` },
  half: { kind: 'boolean', help: 'store the weights as f16 (half the size; probabilities move by a few 1e-3 at most)' },
  force: { kind: 'boolean', help: 'replace --out if it exists' },
  help: { kind: 'boolean', help: 'show this help' },
};

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read ${what} (${(e as Error).message})`);
  }
}

async function main(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, EXPORT_FLAGS);
  if (flags.help) {
    console.log(usage('pnpm export', 'Writes a trained head as one file for pnpm predict and the demo page.', EXPORT_FLAGS));
    return 0;
  }
  for (const name of ['checkpoint', 'out']) if (flags[name] === undefined) throw new UsageError(`--${name} is required`);
  const dir = resolve(flags.checkpoint as string);
  const out = resolve(flags.out as string);
  if (!flags.force && (await access(out).then(() => true, () => false))) throw new UsageError(`--out ${out} exists; pass --force to replace it`);
  let saved: SavedModelConfig;
  try {
    saved = JSON.parse(await readText(join(dir, MODEL_FILE), 'the model config')) as SavedModelConfig;
  } catch (e) {
    throw new Error(`${(e as Error).message}; --checkpoint must be a head's folder of a pnpm train run`);
  }
  const tokenizer = await readText(resolve(dir, saved.tokenizer), `the tokenizer that ${join(dir, MODEL_FILE)} names`);
  const weights = await readSafetensorsFile(join(dir, BEST_WEIGHTS));
  const tensors: Record<string, SerializableTensor> = {};
  for (const name of weights.names()) tensors[name] = weights.read(name);
  const epoch = weights.metadata.epoch;
  // The tokenizer's JSON is stored compact: its text is most of the file's metadata.
  const bytes = serializeHead(
    { fusion: saved.fusion, model: saved.model, maxTokens: saved.maxTokens, tokenizer: JSON.stringify(JSON.parse(tokenizer)), source: dir, ...(epoch ? { epoch } : {}) },
    tensors,
    Boolean(flags.half),
  );
  parseHead(bytes, out); // what was written must read back
  await writeFile(out, bytes);
  console.log(`head: ${out} (${saved.fusion}, ${(bytes.length / 1024).toFixed(0)} KiB${flags.half ? ', f16 weights' : ''})`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`pnpm export: ${e.message}`);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
