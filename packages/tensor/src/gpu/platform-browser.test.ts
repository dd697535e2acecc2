/**
 * The page-side modules picked by package.json `imports` under the `browser` condition, run in
 * Node (the browser tests in demo/test run them in Chromium): they keep the Node modules' exports
 * and give a page what it can have (navigator.gpu, fetch, no cache file), with clear errors for
 * the rest.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as browserPlatform from './platform-browser.js';
import * as nodePlatform from './platform-node.js';
import * as browserCache from './tune-cache-browser.js';
import * as nodeCache from './tune-cache-node.js';
import * as browserFiles from '../io/safetensors-browser.js';
import * as nodeFiles from '../io/safetensors-node.js';
import { serializeSafetensors } from '../io/safetensors.js';

const nav = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
afterEach(() => {
  if (nav) Object.defineProperty(globalThis, 'navigator', nav);
  else delete (globalThis as { navigator?: unknown }).navigator;
});

describe('page-side modules', () => {
  it('export the same names as their Node counterparts', () => {
    expect(Object.keys(browserPlatform).sort()).toEqual(Object.keys(nodePlatform).sort());
    expect(Object.keys(browserCache).sort()).toEqual(Object.keys(nodeCache).sort());
    expect(Object.keys(browserFiles).sort()).toEqual(Object.keys(nodeFiles).sort());
  });

  it('take navigator.gpu, and say what to enable where there is none', () => {
    const gpu = { requestAdapter: async () => null } as unknown as GPU;
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
    expect(browserPlatform.requestGpu([])).toBe(gpu);
    Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true });
    let message = '';
    try {
      browserPlatform.requestGpu([]);
    } catch (e) {
      message = (e as Error).message;
    }
    for (const part of ['no WebGPU adapter', 'Chrome or Edge 113+', '--enable-unsafe-webgpu', 'secure context', 'navigator.gpu is undefined']) expect(message).toContain(part);
    expect(browserPlatform.PLATFORM).toBe('browser');
  });

  it('have no tuning cache in a page', () => {
    const info = { description: 'd', vendor: 'v', architecture: 'a' };
    expect(browserCache.tuneCachePath()).toBeNull();
    expect(browserCache.readTuneCache('x', info)).toEqual({ entries: [], message: null });
    expect(() => browserCache.writeTuneCache('t.json', info, [])).toThrow(/exists in Node only/);
    expect(() => browserCache.useTuneCache('t.json')).toThrow(/useTuneCache\("t.json"\).*Node only/);
    expect(() => browserCache.useTuneCache(null)).not.toThrow();
  });

  it('fetch safetensors files by URL and name the URL in errors', async () => {
    const bytes = serializeSafetensors({ w: { shape: [2], dtype: 'f32', data: new Float32Array([1.5, -2]) } }, { k: 'v' });
    const url = `data:application/octet-stream;base64,${Buffer.from(bytes).toString('base64')}`;
    const file = await browserFiles.readSafetensorsFile(url);
    expect(Array.from(file.read('w').data)).toEqual([1.5, -2]);
    expect(file.metadata).toEqual({ k: 'v' });
    await expect(browserFiles.readSafetensorsFile('http://127.0.0.1:9/missing.safetensors')).rejects.toThrow(/^http:\/\/127\.0\.0\.1:9\/missing\.safetensors: cannot fetch safetensors file/);
    await expect(browserFiles.writeSafetensorsFile('out.safetensors', {})).rejects.toThrow(/out\.safetensors: writeSafetensorsFile needs a file system/);
  });
});
