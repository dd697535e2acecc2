/** The page's tokenizer loader, run in Node: fetches a URL, names it in errors (demo/test runs it in Chromium). */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as browserLoad from './load-browser.js';
import * as nodeLoad from './load.js';

const dataUrl = (text: string) => `data:application/json;base64,${Buffer.from(text).toString('base64')}`;

describe('loadTokenizer in a page', () => {
  it('exports what load.ts exports and reads the shipped tokenizer from a URL', async () => {
    expect(Object.keys(browserLoad).sort()).toEqual(Object.keys(nodeLoad).sort());
    expect(browserLoad.DEFAULT_TOKENIZER_PATH).toMatch(/^file:.*\/assets\/tokenizer\.json$/);
    const fromUrl = await browserLoad.loadTokenizer(dataUrl(readFileSync(nodeLoad.DEFAULT_TOKENIZER_PATH, 'utf8')));
    const fromFile = await nodeLoad.loadTokenizer(nodeLoad.DEFAULT_TOKENIZER_PATH);
    expect(fromUrl.encode('remove the red circle')).toEqual(fromFile.encode('remove the red circle'));
  });

  it('names the URL when it cannot be read or parsed', async () => {
    await expect(browserLoad.loadTokenizer('http://127.0.0.1:9/tokenizer.json')).rejects.toThrow(/^http:\/\/127\.0\.0\.1:9\/tokenizer\.json: cannot fetch tokenizer\.json/);
    await expect(browserLoad.loadTokenizer(dataUrl('{'))).rejects.toThrow(/^data:.*: tokenizer\.json is not valid JSON/);
  });
});
