import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TOKENIZER_PATH, loadTokenizer } from './load.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fusion-load-tokenizer-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tiny = {
  version: '1.0',
  added_tokens: [{ id: 0, content: '[PAD]', special: true, normalized: false }],
  normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
  pre_tokenizer: { type: 'BertPreTokenizer' },
  post_processor: null,
  decoder: null,
  model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', vocab: { '[PAD]': 0, '[UNK]': 1, hi: 2 } },
};

describe('loadTokenizer', () => {
  it('loads from a path, a file URL or parsed JSON', async () => {
    const path = join(dir, 'tokenizer.json');
    await writeFile(path, JSON.stringify(tiny));
    for (const source of [path, pathToFileURL(path), tiny]) {
      const tokenizer = await loadTokenizer(source);
      expect(tokenizer.encode('HI there').ids).toEqual([2, 1]);
    }
    expect((await loadTokenizer(path)).source).toBe(path);
    expect((await loadTokenizer(tiny, 'in-memory')).source).toBe('in-memory');
  });

  it('resolves the shipped tokenizer inside the package', () => {
    expect(DEFAULT_TOKENIZER_PATH.endsWith(join('packages', 'models', 'assets', 'tokenizer.json'))).toBe(true);
    expect(existsSync(DEFAULT_TOKENIZER_PATH)).toBe(true);
  });

  it('names the file when it is missing, not JSON, or not a tokenizer', async () => {
    const missing = join(dir, 'nope', 'tokenizer.json');
    await expect(loadTokenizer(missing)).rejects.toThrow(`${missing}: cannot read tokenizer.json (ENOENT`);
    const garbage = join(dir, 'garbage.json');
    await writeFile(garbage, '{"model": ');
    await expect(loadTokenizer(garbage)).rejects.toThrow(`${garbage}: tokenizer.json is not valid JSON`);
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ hidden_size: 768 }));
    await expect(loadTokenizer(config)).rejects.toThrow(`${config}: not a Hugging Face tokenizer.json: missing "model"`);
  });
});
