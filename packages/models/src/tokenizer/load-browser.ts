/**
 * Loading a tokenizer in a page, picked by the `#tokenizer-load` import of package.json under the
 * `browser` condition: a path is a URL, read with `fetch`; the shipped tokenizer's URL points at
 * `assets/tokenizer.json` (a bundler copies it: `new URL(..., import.meta.url)`). Same exports and
 * types as `load.ts`. Errors name the URL.
 */
import type * as NodeLoad from './load.js';
import { BertTokenizer, type TokenizerJson } from './bert-tokenizer.js';
import { tokenizerFromText } from './from-text.js';

/** URL of the shipped tokenizer.json. */
export const DEFAULT_TOKENIZER_PATH: string = new URL('../../assets/tokenizer.json', import.meta.url).href;

/**
 * Builds a tokenizer from a `tokenizer.json` URL (string or URL, relative to the page) or from its
 * parsed JSON.
 * @param pathOrJson a URL, or the parsed JSON object
 * @param source label for error messages when JSON is given (default `<tokenizer.json>`)
 */
export const loadTokenizer: typeof NodeLoad.loadTokenizer = async (pathOrJson: string | URL | TokenizerJson, source = '<tokenizer.json>') => {
  if (typeof pathOrJson !== 'string' && !(pathOrJson instanceof URL)) return new BertTokenizer(pathOrJson, source);
  const url = String(pathOrJson);
  let text: string;
  try {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    text = await response.text();
  } catch (error) {
    throw new Error(`${url}: cannot fetch tokenizer.json (${(error as Error).message})`);
  }
  return tokenizerFromText(text, url);
};
