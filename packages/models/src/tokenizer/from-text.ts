/** A tokenizer from the text of a `tokenizer.json` (shared by the Node and the page loaders); errors name `source`. */
import { BertTokenizer, type TokenizerJson } from './bert-tokenizer.js';

/** Parses `text` as a tokenizer.json and builds the tokenizer; `source` (a path or URL) goes into errors. */
export function tokenizerFromText(text: string, source: string): BertTokenizer {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source}: tokenizer.json is not valid JSON (${(error as Error).message})`);
  }
  return new BertTokenizer(json as TokenizerJson, source);
}
