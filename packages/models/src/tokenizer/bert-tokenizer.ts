/**
 * BERT-style batch encoding over `@huggingface/tokenizers` (Tokenizers.js), from a Hugging Face
 * `tokenizer.json` already in memory (no file access here; see `load.ts`).
 *
 * Contract: the library normalizes, pre-tokenizes and runs the model (WordPiece for BERT) with
 * `add_special_tokens: false`; this module then truncates the content to leave room for the
 * post-processor's special tokens and adds them once, in the places the post-processor puts them
 * (`[CLS] text [SEP]` for BERT's TemplateProcessing), so truncation never drops `[SEP]`. Batches
 * are right-padded with the pad id of the file's `padding` config, else the `[PAD]` token.
 * Shape: texts (B) -> inputIds, attentionMask, tokenTypeIds (B, L), row-major Int32Array.
 */
import { Tokenizer } from '@huggingface/tokenizers';

/** The parts of Tokenizers.js used here (its published types do not resolve under NodeNext). */
interface LibraryTokenizer {
  encode(text: string, options: { add_special_tokens: boolean }): { ids: number[]; tokens: string[] };
  decode(ids: number[], options: { skip_special_tokens: boolean }): string;
  token_to_id(token: string): number | undefined;
  id_to_token(id: number): string | undefined;
  get_vocab(withAddedTokens?: boolean): Map<string, number>;
  post_processor: ((tokens: string[], pair: string[] | null, addSpecialTokens: boolean) => { tokens: string[]; token_type_ids?: number[] }) | null;
}

/** A parsed Hugging Face `tokenizer.json` (only the fields this module reads are typed). */
export interface TokenizerJson {
  model: { type?: string; vocab?: unknown; unk_token?: string; [key: string]: unknown };
  added_tokens?: unknown[];
  padding?: { pad_id?: number; pad_type_id?: number; pad_token?: string; [key: string]: unknown } | null;
  [key: string]: unknown;
}

/** Options of `encodeBatch`. */
export interface EncodeBatchOptions {
  /** Most tokens per row, special tokens included. */
  maxLength: number;
  /** `'max_length'`: every row has `maxLength` tokens; `'longest'` (default): rows are padded to the longest one. */
  padding?: 'max_length' | 'longest';
  /** Cut rows longer than `maxLength`, keeping the special tokens (default true); when false such a row is an error. */
  truncation?: boolean;
}

/** A padded batch; row `b` occupies `[b * length, (b + 1) * length)` of each array. */
export interface EncodedBatch {
  /** Token ids, pad id after the end of each row. Shape (batch, length). */
  inputIds: Int32Array;
  /** 1 on real tokens (special tokens included), 0 on padding. Shape (batch, length). */
  attentionMask: Int32Array;
  /** Segment ids from the post-processor (0 for a single sentence), pad type id on padding. */
  tokenTypeIds: Int32Array;
  /** Tokens per row, L. */
  length: number;
  /** Rows, B. */
  batch: number;
}

/** One encoded text with its special tokens, not truncated or padded. */
export interface EncodedText {
  ids: number[];
  tokens: string[];
  typeIds: number[];
}

/** Special tokens the post-processor puts around the text, found once by probing it. */
interface SpecialTemplate {
  prefixIds: number[];
  prefixTypes: number[];
  suffixIds: number[];
  suffixTypes: number[];
  sequenceType: number;
}

/** A stand-in token no vocabulary holds, used to find where the post-processor puts the text. */
const SEQUENCE_MARKER = '\u0000fusion:sequence\u0000';

function probeTemplate(library: LibraryTokenizer, source: string): SpecialTemplate {
  if (library.post_processor === null) return { prefixIds: [], prefixTypes: [], suffixIds: [], suffixTypes: [], sequenceType: 0 };
  const { tokens, token_type_ids: types = [] } = library.post_processor([SEQUENCE_MARKER], null, true);
  const at = tokens.indexOf(SEQUENCE_MARKER);
  if (at < 0 || tokens.lastIndexOf(SEQUENCE_MARKER) !== at) {
    throw new Error(`${source}: post_processor does not place the text exactly once (got ${JSON.stringify(tokens)})`);
  }
  const idOf = (token: string): number => {
    const id = library.token_to_id(token);
    if (id === undefined) throw new Error(`${source}: post_processor adds "${token}", which is not in the vocabulary`);
    return id;
  };
  return {
    prefixIds: tokens.slice(0, at).map(idOf),
    prefixTypes: tokens.slice(0, at).map((_, i) => types[i] ?? 0),
    suffixIds: tokens.slice(at + 1).map(idOf),
    suffixTypes: tokens.slice(at + 1).map((_, i) => types[at + 1 + i] ?? 0),
    sequenceType: types[at] ?? 0,
  };
}

/** A tokenizer with BERT conventions: special tokens from the post-processor, right padding. */
export class BertTokenizer {
  /** Where the tokenizer came from (a path or a label), used in error messages. */
  readonly source: string;
  /** Rows an embedding table needs: largest token id + 1. */
  readonly vocabSize: number;
  /** Id written into padding positions. */
  readonly padId: number;
  /** Token type id written into padding positions. */
  readonly padTypeId: number;
  /** Id of the unknown token, or undefined when the model has none. */
  readonly unkId: number | undefined;
  /** Special tokens added per row (`[CLS]` and `[SEP]` for BERT: 2). */
  readonly specialTokenCount: number;
  private readonly library: LibraryTokenizer;
  private readonly template: SpecialTemplate;

  /**
   * @param json a parsed Hugging Face tokenizer.json
   * @param source a path or label naming it in error messages
   */
  constructor(json: TokenizerJson, source: string) {
    this.source = source;
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new Error(`${source}: tokenizer.json must be a JSON object`);
    }
    if (typeof json.model !== 'object' || json.model === null) {
      throw new Error(`${source}: not a Hugging Face tokenizer.json: missing "model"`);
    }
    if (typeof json.model.vocab !== 'object' || json.model.vocab === null) {
      throw new Error(`${source}: not a Hugging Face tokenizer.json: "model" has no "vocab"`);
    }
    // Tokenizers.js requires these keys to exist; real files always have them (null when unused).
    const complete = { normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, added_tokens: [], ...json };
    try {
      this.library = new Tokenizer(complete, {}) as unknown as LibraryTokenizer;
    } catch (error) {
      throw new Error(`${source}: cannot build a tokenizer from this tokenizer.json (${(error as Error).message})`);
    }
    this.template = probeTemplate(this.library, source);
    this.specialTokenCount = this.template.prefixIds.length + this.template.suffixIds.length;

    let maxId = -1;
    for (const id of this.library.get_vocab(true).values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
    const unkToken = json.model.unk_token;
    this.unkId = typeof unkToken === 'string' ? this.library.token_to_id(unkToken) : undefined;

    const padding = json.padding ?? null;
    const padId = typeof padding?.pad_id === 'number' ? padding.pad_id : this.library.token_to_id('[PAD]');
    if (padId === undefined) throw new Error(`${source}: no "padding.pad_id" and no "[PAD]" token: cannot pad batches`);
    this.padId = padId;
    this.padTypeId = typeof padding?.pad_type_id === 'number' ? padding.pad_type_id : 0;
  }

  /** Content tokens of `text` (normalized, pre-tokenized, WordPiece), without special tokens. */
  tokenize(text: string): string[] {
    return this.library.encode(text, { add_special_tokens: false }).tokens;
  }

  /** Content ids of `text` without special tokens. */
  private contentIds(text: string): number[] {
    return this.library.encode(text, { add_special_tokens: false }).ids;
  }

  /** Ids of `text` with special tokens, neither truncated nor padded. */
  encode(text: string): EncodedText {
    const { ids, tokens } = this.library.encode(text, { add_special_tokens: false });
    const { prefixIds, suffixIds, prefixTypes, suffixTypes, sequenceType } = this.template;
    const name = (id: number): string => this.library.id_to_token(id) ?? String(id);
    return {
      ids: [...prefixIds, ...ids, ...suffixIds],
      tokens: [...prefixIds.map(name), ...tokens, ...suffixIds.map(name)],
      typeIds: [...prefixTypes, ...ids.map(() => sequenceType), ...suffixTypes],
    };
  }

  /**
   * Encodes a batch with special tokens, truncation and right padding.
   * Shape: texts (B) -> (B, L) with L = maxLength (`'max_length'`) or the longest row (`'longest'`).
   */
  encodeBatch(texts: readonly string[], options: EncodeBatchOptions): EncodedBatch {
    const { maxLength, padding = 'longest', truncation = true } = options;
    if (!Array.isArray(texts)) throw new Error('encodeBatch: texts must be an array of strings');
    if (!Number.isInteger(maxLength) || maxLength < this.specialTokenCount) {
      throw new Error(`encodeBatch: maxLength must be an integer >= ${this.specialTokenCount} (the special tokens), got ${maxLength}`);
    }
    if (padding !== 'max_length' && padding !== 'longest') {
      throw new Error(`encodeBatch: padding must be 'max_length' or 'longest', got ${JSON.stringify(padding)}`);
    }
    const room = maxLength - this.specialTokenCount;
    const contents = texts.map((text, i) => {
      if (typeof text !== 'string') throw new Error(`encodeBatch: texts[${i}] is not a string (${typeof text})`);
      const ids = this.contentIds(text);
      if (ids.length <= room) return ids;
      if (!truncation) {
        throw new Error(
          `encodeBatch: texts[${i}] has ${ids.length + this.specialTokenCount} tokens with special tokens, more than maxLength ${maxLength} (truncation is off)`,
        );
      }
      return ids.slice(0, room);
    });
    const batch = contents.length;
    const length = padding === 'max_length' ? maxLength : Math.max(0, ...contents.map((c) => c.length + this.specialTokenCount));

    const inputIds = new Int32Array(batch * length).fill(this.padId);
    const attentionMask = new Int32Array(batch * length);
    const tokenTypeIds = new Int32Array(batch * length).fill(this.padTypeId);
    const { prefixIds, prefixTypes, suffixIds, suffixTypes, sequenceType } = this.template;
    contents.forEach((content, b) => {
      const row = b * length;
      const ids = [...prefixIds, ...content, ...suffixIds];
      const types = [...prefixTypes, ...content.map(() => sequenceType), ...suffixTypes];
      inputIds.set(ids, row);
      tokenTypeIds.set(types, row);
      attentionMask.fill(1, row, row + ids.length);
    });
    return { inputIds, attentionMask, tokenTypeIds, length, batch };
  }

  /** Text of a sequence of ids (WordPiece pieces joined); special tokens dropped if asked. */
  decode(ids: ArrayLike<number>, { skipSpecialTokens = false }: { skipSpecialTokens?: boolean } = {}): string {
    const list = Array.from(ids);
    return list.length === 0 ? '' : this.library.decode(list, { skip_special_tokens: skipSpecialTokens });
  }

  /** Id of a token string, or undefined when it is not in the vocabulary. */
  tokenToId(token: string): number | undefined {
    return this.library.token_to_id(token);
  }

  /** Token string of an id, or undefined when no token has it. */
  idToToken(id: number): string | undefined {
    return this.library.id_to_token(id);
  }
}
