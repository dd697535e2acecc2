import { describe, expect, it } from 'vitest';
import { BertTokenizer, type TokenizerJson } from './bert-tokenizer.js';

/**
 * A tokenizer.json in the exact layout of bert-base-uncased's, with a tiny vocabulary whose ids
 * follow the real one: [PAD]=0, [unused0..98]=1..99, [UNK]=100, [CLS]=101, [SEP]=102, [MASK]=103.
 */
function bertBaseUncasedLayout(): TokenizerJson {
  const vocab: Record<string, number> = { '[PAD]': 0 };
  for (let i = 0; i < 99; i++) vocab[`[unused${i}]`] = i + 1;
  Object.assign(vocab, { '[UNK]': 100, '[CLS]': 101, '[SEP]': 102, '[MASK]': 103 });
  const words = ['hello', 'world', ',', '!', '.', 'the', 'cat', '##s', 'play', '##ing', 'cafe', 'naive', 'un', '##want', '##ed', 'want', 'a', '##a'];
  words.forEach((word, i) => (vocab[word] = 104 + i));
  const added = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [added(0, '[PAD]'), added(100, '[UNK]'), added(101, '[CLS]'), added(102, '[SEP]'), added(103, '[MASK]')],
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [101], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [102], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

// Hand-computed from the vocabulary above (hello=104 world=105 ,=106 !=107 .=108 the=109 cat=110
// ##s=111 play=112 ##ing=113 cafe=114 naive=115 un=116 ##want=117 ##ed=118 want=119 a=120 ##a=121).
const HELLO = 'Héllo WORLD!'; // lowercased, accent stripped, "!" split off
const HELLO_IDS = [101, 104, 105, 107, 102];
const CATS = 'The cats,\tplaying.'; // tab cleaned to a space, punctuation split, WordPiece pieces
const CATS_IDS = [101, 109, 110, 111, 106, 112, 113, 108, 102];
const NAIVE = 'Naïve CAFÉ unwanted xyz'; // "xyz" has no pieces in this vocabulary: [UNK]
const NAIVE_IDS = [101, 115, 114, 116, 117, 118, 100, 102];

describe('BertTokenizer on a bert-base-uncased layout tokenizer.json', () => {
  const tokenizer = new BertTokenizer(bertBaseUncasedLayout(), 'bert-layout.json');

  it('encodes to the hand-computed ids with [CLS] and [SEP] exactly once', () => {
    expect(tokenizer.encode(HELLO)).toEqual({
      ids: HELLO_IDS,
      tokens: ['[CLS]', 'hello', 'world', '!', '[SEP]'],
      typeIds: [0, 0, 0, 0, 0],
    });
    expect(tokenizer.encode(CATS).tokens).toEqual(['[CLS]', 'the', 'cat', '##s', ',', 'play', '##ing', '.', '[SEP]']);
    expect(tokenizer.encode(CATS).ids).toEqual(CATS_IDS);
    expect(tokenizer.encode(NAIVE).tokens).toEqual(['[CLS]', 'naive', 'cafe', 'un', '##want', '##ed', '[UNK]', '[SEP]']);
    expect(tokenizer.encode(NAIVE).ids).toEqual(NAIVE_IDS);
    expect(tokenizer.tokenize(HELLO)).toEqual(['hello', 'world', '!']);
  });

  it('reads the special ids and vocabulary size from the file', () => {
    expect(tokenizer.padId).toBe(0);
    expect(tokenizer.unkId).toBe(100);
    expect(tokenizer.specialTokenCount).toBe(2);
    expect(tokenizer.vocabSize).toBe(122);
    expect(tokenizer.tokenToId('[SEP]')).toBe(102);
    expect(tokenizer.idToToken(117)).toBe('##want');
  });

  it('removes control characters and honours max_input_chars_per_word', () => {
    expect(tokenizer.encode('hello\u0000 \n world').ids).toEqual([101, 104, 105, 102]);
    expect(tokenizer.encode('aaaa').tokens).toEqual(['[CLS]', 'a', '##a', '##a', '##a', '[SEP]']);
    expect(tokenizer.encode('a'.repeat(100)).ids).toHaveLength(102);
    expect(tokenizer.encode('a'.repeat(101)).ids).toEqual([101, 100, 102]);
  });

  it("pads a batch to the longest row with 'longest'", () => {
    const out = tokenizer.encodeBatch([HELLO, CATS, NAIVE], { maxLength: 64, padding: 'longest', truncation: true });
    expect(out.batch).toBe(3);
    expect(out.length).toBe(9);
    expect([...out.inputIds]).toEqual([...HELLO_IDS, 0, 0, 0, 0, ...CATS_IDS, ...NAIVE_IDS, 0]);
    expect([...out.attentionMask]).toEqual([1, 1, 1, 1, 1, 0, 0, 0, 0, ...new Array(9).fill(1), 1, 1, 1, 1, 1, 1, 1, 1, 0]);
    expect([...out.tokenTypeIds]).toEqual(new Array(27).fill(0));
  });

  it("pads every row to maxLength with 'max_length'", () => {
    const out = tokenizer.encodeBatch([HELLO, ''], { maxLength: 7, padding: 'max_length', truncation: true });
    expect(out.length).toBe(7);
    expect([...out.inputIds]).toEqual([...HELLO_IDS, 0, 0, 101, 102, 0, 0, 0, 0, 0]);
    expect([...out.attentionMask]).toEqual([1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0]);
  });

  it('truncates the text but keeps [SEP] at the end', () => {
    const out = tokenizer.encodeBatch([CATS, HELLO, NAIVE], { maxLength: 5, padding: 'max_length', truncation: true });
    expect([...out.inputIds]).toEqual([101, 109, 110, 111, 102, ...HELLO_IDS, 101, 115, 114, 116, 102]);
    expect([...out.attentionMask]).toEqual(new Array(15).fill(1));
    const longest = tokenizer.encodeBatch([CATS], { maxLength: 4, padding: 'longest', truncation: true });
    expect(longest.length).toBe(4);
    expect([...longest.inputIds]).toEqual([101, 109, 110, 102]);
    const bare = tokenizer.encodeBatch([CATS], { maxLength: 2, padding: 'max_length', truncation: true });
    expect([...bare.inputIds]).toEqual([101, 102]);
  });

  it('rejects bad options and too-long rows without truncation', () => {
    expect(() => tokenizer.encodeBatch([CATS], { maxLength: 5, truncation: false })).toThrow(
      'encodeBatch: texts[0] has 9 tokens with special tokens, more than maxLength 5 (truncation is off)',
    );
    expect(tokenizer.encodeBatch([HELLO], { maxLength: 5, truncation: false }).length).toBe(5);
    expect(() => tokenizer.encodeBatch([HELLO], { maxLength: 1 })).toThrow(/maxLength must be an integer >= 2/);
    expect(() => tokenizer.encodeBatch([HELLO], { maxLength: 2.5 })).toThrow(/maxLength must be an integer/);
    expect(() => tokenizer.encodeBatch([HELLO, 3 as unknown as string], { maxLength: 8 })).toThrow('encodeBatch: texts[1] is not a string (number)');
    expect(() => tokenizer.encodeBatch([HELLO], { maxLength: 8, padding: 'right' as 'longest' })).toThrow(/padding must be/);
  });

  it('handles an empty batch', () => {
    expect(tokenizer.encodeBatch([], { maxLength: 8 })).toEqual({
      inputIds: new Int32Array(0),
      attentionMask: new Int32Array(0),
      tokenTypeIds: new Int32Array(0),
      length: 0,
      batch: 0,
    });
  });

  it('decodes ids back to text', () => {
    expect(tokenizer.decode(CATS_IDS, { skipSpecialTokens: true })).toBe('the cats, playing.');
    expect(tokenizer.decode(new Int32Array(HELLO_IDS))).toBe('[CLS] hello world! [SEP]');
    expect(tokenizer.decode([])).toBe('');
  });
});

describe('BertTokenizer follows the file it is given', () => {
  it("uses the padding config's pad_id and pad_type_id", () => {
    const json = bertBaseUncasedLayout();
    json.padding = { strategy: 'BatchLongest', direction: 'Right', pad_to_multiple_of: null, pad_id: 99, pad_type_id: 1, pad_token: '[unused98]' };
    const out = new BertTokenizer(json, 'padded.json').encodeBatch([HELLO, 'world'], { maxLength: 16 });
    expect([...out.inputIds]).toEqual([...HELLO_IDS, 101, 105, 102, 99, 99]);
    expect([...out.tokenTypeIds]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
    expect([...out.attentionMask]).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
  });

  it('places special tokens and type ids where the template says', () => {
    const json = bertBaseUncasedLayout();
    json.post_processor = {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { SpecialToken: { id: '[MASK]', type_id: 2 } }, { Sequence: { id: 'A', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 3 } }],
      pair: [],
      special_tokens: {},
    };
    const tokenizer = new BertTokenizer(json, 'template.json');
    expect(tokenizer.specialTokenCount).toBe(3);
    const out = tokenizer.encodeBatch(['hello world world'], { maxLength: 5, padding: 'max_length' });
    expect([...out.inputIds]).toEqual([101, 103, 104, 105, 102]);
    expect([...out.tokenTypeIds]).toEqual([0, 2, 1, 1, 3]);
  });

  it('supports the older BertProcessing post-processor and none at all', () => {
    const json = bertBaseUncasedLayout();
    json.post_processor = { type: 'BertProcessing', sep: ['[SEP]', 102], cls: ['[CLS]', 101] };
    expect(new BertTokenizer(json, 'old.json').encode(HELLO).ids).toEqual(HELLO_IDS);
    json.post_processor = null;
    const bare = new BertTokenizer(json, 'bare.json');
    expect(bare.specialTokenCount).toBe(0);
    expect([...bare.encodeBatch([HELLO], { maxLength: 2 }).inputIds]).toEqual([104, 105]);
  });

  it('errors name the source when the file cannot be used', () => {
    const noPad = bertBaseUncasedLayout();
    const vocab = noPad.model.vocab as Record<string, number>;
    delete vocab['[PAD]'];
    noPad.added_tokens = (noPad.added_tokens as Array<{ content: string }>).filter((t) => t.content !== '[PAD]');
    expect(() => new BertTokenizer(noPad, 'nopad.json')).toThrow('nopad.json: no "padding.pad_id" and no "[PAD]" token: cannot pad batches');

    const missingSpecial = bertBaseUncasedLayout();
    missingSpecial.post_processor = { type: 'BertProcessing', sep: ['[END]', 7], cls: ['[CLS]', 101] };
    expect(() => new BertTokenizer(missingSpecial, 'special.json')).toThrow('special.json: post_processor adds "[END]", which is not in the vocabulary');

    const unknownPart = bertBaseUncasedLayout();
    unknownPart.normalizer = { type: 'Frobnicate' };
    expect(() => new BertTokenizer(unknownPart, 'norm.json')).toThrow(/^norm\.json: cannot build a tokenizer from this tokenizer\.json \(.*Frobnicate/);

    expect(() => new BertTokenizer({ version: '1.0' } as unknown as TokenizerJson, 'x.json')).toThrow('x.json: not a Hugging Face tokenizer.json: missing "model"');
    expect(() => new BertTokenizer({ model: { type: 'WordPiece' } }, 'x.json')).toThrow('x.json: not a Hugging Face tokenizer.json: "model" has no "vocab"');
    expect(() => new BertTokenizer([] as unknown as TokenizerJson, 'x.json')).toThrow('x.json: tokenizer.json must be a JSON object');
  });
});
