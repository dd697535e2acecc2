/**
 * Loading a tokenizer from a Hugging Face `tokenizer.json` on disk (Node: node:fs) or from its
 * parsed JSON, and the path of the small WordPiece tokenizer shipped in `assets/` (regenerate it
 * with `node packages/models/scripts/make_tokenizer.mjs`). Errors name the file.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { BertTokenizer, type TokenizerJson } from './bert-tokenizer.js';
import { tokenizerFromText } from './from-text.js';

/** Path of the shipped tokenizer.json (from `src/tokenizer/` or `dist/tokenizer/`: `../../assets`). */
export const DEFAULT_TOKENIZER_PATH: string = fileURLToPath(new URL('../../assets/tokenizer.json', import.meta.url));

/**
 * Builds a tokenizer from a `tokenizer.json` path (string or file URL) or from its parsed JSON,
 * such as bert-base-uncased's file used unchanged.
 * @param pathOrJson a path, a file URL, or the parsed JSON object
 * @param source label for error messages when JSON is given (default `<tokenizer.json>`)
 */
export async function loadTokenizer(pathOrJson: string | URL | TokenizerJson, source = '<tokenizer.json>'): Promise<BertTokenizer> {
  if (typeof pathOrJson !== 'string' && !(pathOrJson instanceof URL)) return new BertTokenizer(pathOrJson, source);
  const path = pathOrJson instanceof URL ? fileURLToPath(pathOrJson) : pathOrJson;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`${path}: cannot read tokenizer.json (${(error as Error).message})`);
  }
  return tokenizerFromText(text, path);
}
