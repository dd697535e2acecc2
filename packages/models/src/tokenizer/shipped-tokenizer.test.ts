import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BertTokenizer } from './bert-tokenizer.js';
import { DEFAULT_TOKENIZER_PATH, loadTokenizer } from './load.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/make_tokenizer.mjs', import.meta.url));
const json = JSON.parse(readFileSync(DEFAULT_TOKENIZER_PATH, 'utf8'));
const vocab = json.model.vocab as Record<string, number>;

/** The synthetic dataset's words, each of which must be one whole token. */
const DATASET_WORDS = `the a an of on in at to into with and next above below left right top bottom middle center
small large big tiny red green blue yellow purple orange circle square triangle diamond ring cross remove delete
erase make turn change paint color put add place draw hat star dot stripe outline bigger smaller it that one object
shape`.split(/\s+/);

let tokenizer: BertTokenizer;
beforeAll(async () => {
  tokenizer = await loadTokenizer(DEFAULT_TOKENIZER_PATH);
});

describe('shipped assets/tokenizer.json', () => {
  it('is a Hugging Face tokenizer.json in the bert-base-uncased layout', () => {
    expect(statSync(DEFAULT_TOKENIZER_PATH).size).toBeLessThan(300_000);
    expect(json.normalizer).toEqual({ type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true });
    expect(json.pre_tokenizer).toEqual({ type: 'BertPreTokenizer' });
    expect(json.post_processor.type).toBe('TemplateProcessing');
    expect(json.decoder).toEqual({ type: 'WordPiece', prefix: '##', cleanup: true });
    expect(json.model).toMatchObject({ type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100 });
    expect(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((t) => vocab[t])).toEqual([0, 1, 2, 3, 4]);
    const ids = Object.values(vocab).sort((a, b) => a - b);
    expect(ids).toEqual(ids.map((_, i) => i)); // dense ids 0..N-1
    expect(tokenizer.vocabSize).toBe(ids.length);
    expect(tokenizer.padId).toBe(0);
    expect(tokenizer.unkId).toBe(1);
  });

  it('holds every dataset word, character and "##" character as one token', () => {
    for (const word of DATASET_WORDS) expect(tokenizer.tokenize(word), word).toEqual([word]);
    for (const c of 'abcdefghijklmnopqrstuvwxyz0123456789!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~') {
      expect(vocab[c], c).toBeTypeOf('number');
      expect(vocab[`##${c}`], `##${c}`).toBeTypeOf('number');
    }
  });

  it('encodes synthetic instructions to whole-word ids between [CLS] and [SEP]', () => {
    for (const text of ['remove the red circle on the left', 'put a hat on the small green triangle in the top right']) {
      const words = text.split(' ');
      const encoded = tokenizer.encode(text);
      expect(encoded.tokens).toEqual(['[CLS]', ...words, '[SEP]']);
      expect(encoded.ids).toEqual([2, ...words.map((w) => vocab[w]), 3]);
      expect(tokenizer.encode(text.toUpperCase()).ids).toEqual(encoded.ids);
    }
  });

  it('splits unknown lowercase words into pieces, never [UNK]', () => {
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8;
    for (let i = 0; i < 300; i++) {
      const word = Array.from({ length: 1 + (next() % 14) }, () => String.fromCharCode(97 + (next() % 26))).join('');
      const pieces = tokenizer.tokenize(word);
      expect(pieces.map((p, j) => (j === 0 ? p : p.replace(/^##/, ''))).join(''), word).toBe(word);
      expect(pieces.slice(1).every((p) => p.startsWith('##')), word).toBe(true);
      expect(tokenizer.encode(word).ids, word).not.toContain(tokenizer.unkId);
    }
    expect(tokenizer.tokenize('zyxq').length).toBeGreaterThan(1);
    expect(tokenizer.encode('Déjà vu: 3 x (4+5) = 27?').ids).not.toContain(tokenizer.unkId);
  });

  it("pads a batch of different lengths with 'longest'", () => {
    const texts = ['remove the red circle', 'put a hat on the small green triangle in the top right', 'erase it'];
    const out = tokenizer.encodeBatch(texts, { maxLength: 32, padding: 'longest', truncation: true });
    expect(out.batch).toBe(3);
    expect(out.length).toBe(14);
    texts.forEach((text, b) => {
      const ids = tokenizer.encode(text).ids;
      const row = [...out.inputIds.subarray(b * 14, (b + 1) * 14)];
      expect(row).toEqual([...ids, ...new Array(14 - ids.length).fill(0)]);
      expect([...out.attentionMask.subarray(b * 14, (b + 1) * 14)]).toEqual([...ids.map(() => 1), ...new Array(14 - ids.length).fill(0)]);
    });
    expect([...out.tokenTypeIds]).toEqual(new Array(42).fill(0));
  });

  it('is exactly what scripts/make_tokenizer.mjs generates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusion-tokenizer-'));
    try {
      const out = join(dir, 'tokenizer.json');
      execFileSync(process.execPath, [SCRIPT, out], { stdio: 'pipe' });
      expect(readFileSync(out, 'utf8')).toBe(readFileSync(DEFAULT_TOKENIZER_PATH, 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
