import { describe, expect, it } from 'vitest';
import type { MetricsByThreshold } from '../metrics/types.js';
import { renderLossCurvesSvg } from './svg-curves.js';
import type { FusionResult } from './types.js';

/**
 * Checks that `text` is well-formed XML (one root element, balanced and properly nested tags, quoted
 * unique attributes, only the predefined or numeric entities, no stray '<' or '&'); returns the root
 * element's name, throws describing the first problem.
 */
function checkWellFormedXml(text: string): string {
  const entity = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;
  const checkText = (s: string, where: string) => {
    if (s.replace(entity, '').match(/[<&]/)) throw new Error(`stray < or & in ${where}: ${s.slice(0, 60)}`);
  };
  let rest = text.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  let root: string | undefined;
  let rootClosed = false;
  while (rest.length > 0) {
    const open = rest.indexOf('<');
    const content = open < 0 ? rest : rest.slice(0, open);
    if (stack.length === 0 && content.trim() !== '') throw new Error(`text outside the root: ${content.slice(0, 40)}`);
    checkText(content, 'text');
    if (open < 0) break;
    rest = rest.slice(open);
    if (rest.startsWith('<!--')) {
      const end = rest.indexOf('-->');
      if (end < 0) throw new Error('unclosed comment');
      rest = rest.slice(end + 3);
      continue;
    }
    const close = rest.indexOf('>');
    if (close < 0) throw new Error('unclosed tag');
    const tag = rest.slice(1, close);
    rest = rest.slice(close + 1);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      if (stack.pop() !== name) throw new Error(`mismatched </${name}>`);
      if (stack.length === 0) rootClosed = true;
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const match = body.match(/^([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*$/);
    if (!match) throw new Error(`malformed tag <${tag.slice(0, 60)}>`);
    const names = [...match[2].matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*("[^"]*"|'[^']*')/g)].map((m) => {
      checkText(m[2].slice(1, -1), `attribute ${m[1]}`);
      return m[1];
    });
    if (new Set(names).size !== names.length) throw new Error(`duplicate attribute in <${match[1]}>`);
    if (stack.length === 0) {
      if (root !== undefined) throw new Error('more than one root element');
      root = match[1];
    }
    if (selfClosing) { if (stack.length === 0) rootClosed = true; } else stack.push(match[1]);
  }
  if (stack.length > 0 || !root || !rootClosed) throw new Error(`unclosed elements: ${stack.join(' > ')}`);
  return root;
}

const noMetrics = {} as MetricsByThreshold;

function fusion(name: string, lossCurve: FusionResult['lossCurve'], evalCurve: FusionResult['evalCurve'], bestEpoch = 2): FusionResult {
  return { fusion: name, parameters: 1, trainSeconds: 1, imagesPerSecond: 1, epochs: evalCurve.length, bestEpoch, stoppedEarly: false, metrics: noMetrics, lossCurve, evalCurve };
}

const steps = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => ({ step: i + 1, loss: f(i) }));
const epochs = [{ epoch: 1, loss: 0.5, meanIoU: 0.2 }, { epoch: 2, loss: 0.4, meanIoU: 0.35 }, { epoch: 3, loss: 0.42, meanIoU: 0.3 }];

describe('the XML checker (so the SVG test means something)', () => {
  it('rejects broken documents', () => {
    expect(checkWellFormedXml('<svg><g></g><path d="M0,0"/></svg>')).toBe('svg');
    expect(() => checkWellFormedXml('<svg><g></svg>')).toThrow();
    expect(() => checkWellFormedXml('<svg><text>a < b</text></svg>')).toThrow(/malformed/);
    expect(() => checkWellFormedXml('<svg><text>a & b</text></svg>')).toThrow(/stray/);
    expect(() => checkWellFormedXml('<svg a="1" a="2"></svg>')).toThrow(/duplicate/);
    expect(() => checkWellFormedXml('<svg a=1></svg>')).toThrow(/malformed/);
    expect(() => checkWellFormedXml('<svg></svg><svg></svg>')).toThrow(/root/);
  });
});

describe('renderLossCurvesSvg', () => {
  const fusions = [
    fusion('concat', steps(50, (i) => 0.7 * Math.exp(-i / 20) + 0.1), epochs),
    fusion('a<b & "c"', steps(50, (i) => 0.6 * Math.exp(-i / 10) + 0.2), epochs, 2),
  ];
  const svg = renderLossCurvesSvg(fusions);

  it('is well-formed XML with an svg root', () => {
    expect(checkWellFormedXml(svg)).toBe('svg');
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
  });

  it('has exactly one path per curve: train loss, eval loss and eval mIoU for each head', () => {
    const paths = [...svg.matchAll(/<path [^>]*>/g)].map((m) => m[0]);
    expect(paths).toHaveLength(6);
    for (const series of ['train-loss', 'eval-loss', 'eval-miou']) {
      expect(paths.filter((p) => p.includes(`data-series="${series}"`))).toHaveLength(2);
    }
    expect(paths.filter((p) => p.includes('data-fusion="concat"'))).toHaveLength(3);
    expect(paths.filter((p) => p.includes('data-fusion="a&lt;b &amp; &quot;c&quot;"'))).toHaveLength(3);
    // one vertex per point: 50 steps, 3 epochs
    const vertices = (p: string) => (p.match(/[ML]-?\d/g) ?? []).length;
    expect(paths.filter((p) => p.includes('train-loss')).map(vertices)).toEqual([50, 50]);
    expect(paths.filter((p) => p.includes('eval-miou')).map(vertices)).toEqual([3, 3]);
  });

  it('colours each head consistently and names it in the legend', () => {
    const strokes = (name: string) => new Set([...svg.matchAll(new RegExp(`data-fusion="${name}"[^>]*stroke="(#[0-9A-Fa-f]{6})"`, 'g'))].map((m) => m[1]));
    expect(strokes('concat').size).toBe(1);
    expect([...strokes('concat')][0]).not.toBe([...strokes('a&lt;b &amp; &quot;c&quot;')][0]);
    expect(svg).toMatch(/<g class="legend">[\s\S]*>concat<\/text>[\s\S]*>a&lt;b &amp; &quot;c&quot;<\/text>/);
  });

  it('wraps a long legend into rows and tells apart heads that share a colour by their dash', () => {
    const ten = Array.from({ length: 10 }, (_, i) => fusion(`cross-pixel.nocoords-${i}`, steps(5, (k) => 1 / (k + 1 + i)), epochs));
    const wide = renderLossCurvesSvg(ten);
    expect(checkWellFormedXml(wide)).toBe('svg');
    const legendYs = new Set([...wide.matchAll(/<g class="legend">([\s\S]*?)<\/g>/g)][0][1].match(/<text x="[\d.]+" y="(\d+)"/g)!.map((t) => t.match(/y="(\d+)"/)![1]));
    expect(legendYs.size).toBeGreaterThan(1);
    expect(Number(wide.match(/<svg [^>]*height="(\d+)"/)![1])).toBe(400 + 20 * (legendYs.size - 1));
    for (const m of wide.matchAll(/<text x="([\d.]+)" y="\d+" dominant-baseline="middle" font-size="13">([^<]*)</g)) {
      expect(Number(m[1]) + 8 * m[2].length, m[2]).toBeLessThanOrEqual(1140);
    }
    const path = (i: number) => wide.match(new RegExp(`<path [^>]*data-fusion="cross-pixel.nocoords-${i}" data-series="train-loss"[^>]*>`))![0];
    expect(path(0)).not.toContain('stroke-dasharray');
    expect(path(8)).toContain('stroke-dasharray');
    expect(path(8).match(/stroke="(#\w+)"/)![1]).toBe(path(0).match(/stroke="(#\w+)"/)![1]);
  });

  it('draws axes with ticks and marks the best epoch', () => {
    expect((svg.match(/class="axis"/g) ?? []).length).toBe(6);
    expect(svg).toContain('>epoch</text>');
    expect(svg).toContain('>step</text>');
    expect((svg.match(/class="best"/g) ?? []).length).toBe(2);
    // the mIoU panel runs 0..1 in steps of 0.2
    const miouPanel = svg.slice(svg.indexOf('data-panel="eval-miou"'));
    for (const label of ['0', '0.2', '0.4', '0.6', '0.8', '1']) expect(miouPanel).toContain(`>${label}</text>`);
  });

  it('uses a log scale for training loss spanning a decade or more, unless told otherwise', () => {
    const wide = [fusion('a', steps(100, (i) => 2 * Math.exp(-i / 10) + 0.01), epochs)];
    expect(renderLossCurvesSvg(wide)).toContain('log scale');
    expect(renderLossCurvesSvg(wide, { logScale: false })).not.toContain('log scale');
    expect(svg).not.toContain('log scale');
    expect(renderLossCurvesSvg(fusions, { logScale: true })).toContain('log scale');
  });

  it('leaves out non-finite points and heads without curves, and survives no data at all', () => {
    const withNaN = renderLossCurvesSvg([fusion('a', [{ step: 1, loss: 1 }, { step: 2, loss: Number.NaN }, { step: 3, loss: 0.5 }], [])], { smoothing: 0 });
    expect(checkWellFormedXml(withNaN)).toBe('svg');
    expect(withNaN).not.toContain('NaN');
    expect([...withNaN.matchAll(/<path [^>]*>/g)]).toHaveLength(1);
    expect((withNaN.match(/>no data</g) ?? []).length).toBe(2);
    const empty = renderLossCurvesSvg([]);
    expect(checkWellFormedXml(empty)).toBe('svg');
    expect(empty).not.toContain('<path');
  });

  it('thins very long training curves', () => {
    const long = renderLossCurvesSvg([fusion('a', steps(5000, () => 0.3), epochs)]);
    const path = long.match(/<path [^>]*data-series="train-loss"[^>]*>/)![0];
    const vertices = (path.match(/[ML]-?\d/g) ?? []).length;
    expect(vertices).toBeLessThanOrEqual(801);
    expect(vertices).toBeGreaterThan(700);
  });
});
