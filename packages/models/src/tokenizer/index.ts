/**
 * Tokenizer: Hugging Face tokenizer.json (WordPiece / BERT layout) -> padded id batches for the
 * text encoder. `bert-tokenizer.ts` works on parsed JSON; `load.ts` reads files (Node), and in a
 * page `load-browser.ts` fetches URLs instead (package.json `imports`, `browser` condition).
 */
export {
  BertTokenizer,
  type TokenizerJson,
  type EncodeBatchOptions,
  type EncodedBatch,
  type EncodedText,
} from './bert-tokenizer.js';
export { loadTokenizer, DEFAULT_TOKENIZER_PATH } from '#tokenizer-load';
export { tokenizerFromText } from './from-text.js';
