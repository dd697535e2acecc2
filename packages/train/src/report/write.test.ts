import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { layoutAttention } from './attention-figure.js';
import { layoutExamples } from './examples-figure.js';
import { renderReportJson } from './json.js';
import { sampleRunReport } from './sample.js';
import { renderLossCurvesSvg } from './svg-curves.js';
import type { RunReport } from './types.js';
import { writeRunReport } from './write.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fusion-report-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

function decodePng(bytes: Buffer): PNG {
  return PNG.sync.read(bytes);
}

describe('writeRunReport', async () => {
  const report: RunReport = sampleRunReport({ evalSamples: 24, examples: 3 });
  report.examples[0].image.fill(0); // a black first example, so its overlay colour is known by hand
  const dir = path.join(await tempDir(), 'nested', 'run');
  const written = await writeRunReport(report, dir);
  const read = (name: string) => readFile(path.join(dir, name));
  const fusionNames = report.fusions.map((f) => f.fusion);

  it('writes every file into a new folder', async () => {
    const expected = ['attention.png', 'examples.png', 'loss-curves.svg', 'metrics.json', 'report.html', 'report.md'];
    expect([...written.files].sort()).toEqual(expected);
    expect((await readdir(dir)).sort()).toEqual(expected);
  });

  it('metrics.json parses and holds the report without pixel arrays', async () => {
    const json = JSON.parse((await read('metrics.json')).toString('utf8'));
    expect(json.title).toBe(report.title);
    expect(json.command).toBe(report.command);
    expect(json.fusions.map((f: { fusion: string }) => f.fusion)).toEqual(fusionNames);
    expect(json.fusions[3].metrics['0.7'].meanIoU).toBe(report.fusions[3].metrics['0.7'].meanIoU);
    expect(json.baselines.map((b: { name: string }) => b.name)).toEqual(['all-background', 'mean-mask prior']);
    expect(json.fusions[0].lossCurve).toHaveLength(report.fusions[0].lossCurve.length);
    const e = json.examples[0];
    expect(Object.keys(e).sort()).toEqual(['attention', 'height', 'instruction', 'iou', 'kind', 'truePixels', 'width']);
    expect(Object.keys(e.iou)).toEqual(fusionNames);
    expect(e.attention['cross-text']).toEqual({ width: 8, height: 8 });
    expect(e.truePixels).toBe(report.examples[0].trueMask.reduce((s, v) => s + v, 0));
  });

  it('metrics.json writes NaN as null', () => {
    const broken = sampleRunReport({ evalSamples: 6, examples: 0 });
    broken.fusions[0].metrics['0.5'].bce = Number.NaN;
    expect(JSON.parse(renderReportJson(broken)).fusions[0].metrics['0.5'].bce).toBeNull();
  });

  it('loss-curves.svg has one path per curve', async () => {
    const svg = (await read('loss-curves.svg')).toString('utf8');
    expect(svg).toBe(renderLossCurvesSvg(report.fusions));
    expect(svg.match(/<path /g)).toHaveLength(3 * report.fusions.length);
  });

  it('examples.png decodes at the layout size, with the true-mask overlay colour inside the mask', async () => {
    const png = decodePng(await read('examples.png'));
    const layout = layoutExamples(report.examples, fusionNames);
    expect([png.width, png.height]).toEqual([layout.width, layout.height]);
    expect(layout.rows[0].scale).toBe(4);
    const example = report.examples[0];
    const inside = example.trueMask.indexOf(1);
    expect(inside).toBeGreaterThanOrEqual(0);
    const sx = inside % example.width;
    const sy = Math.floor(inside / example.width);
    const x = 8 + (layout.columnWidth + 8) + sx * 4 + 1; // truth column, centre-ish of the 4x4 block
    const y = layout.rows[0].cellTop + sy * 4 + 1;
    const p = (y * png.width + x) * 4;
    expect([png.data[p], png.data[p + 1], png.data[p + 2]]).toEqual([0, 110, 44]); // black under [0, 200, 80] at 0.55
  });

  it('attention.png decodes at the layout size', async () => {
    const png = decodePng(await read('attention.png'));
    const layout = layoutAttention(report.examples, ['cross-text', 'cross-pixel']);
    expect([png.width, png.height]).toEqual([layout.width, layout.height]);
  });

  it('report.md and report.html carry the table, the answer and the figures', async () => {
    const md = (await read('report.md')).toString('utf8');
    const html = (await read('report.html')).toString('utf8');
    for (const name of [...fusionNames, 'all-background', 'mean-mask prior']) {
      expect(md).toMatch(new RegExp(`\\| ${name} \\| (fusion|baseline) \\| 0\\.7 \\| (\\*\\*)?\\d\\.\\d{3}`));
      expect(html).toContain(`<td class="left">${name}</td>`);
    }
    for (const file of ['loss-curves.svg', 'examples.png', 'attention.png']) {
      expect(md).toContain(`](${file})`);
      expect(html).toContain(`<img src="${file}"`);
    }
    expect(md).toContain('has the highest mean IoU');
    expect(html).toContain('class="answer"');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
  });

  it('leaves out the figures it has nothing for', async () => {
    const bare = { ...sampleRunReport({ evalSamples: 6, examples: 0 }) };
    const out = await tempDir();
    const result = await writeRunReport(bare, out);
    expect([...result.files].sort()).toEqual(['loss-curves.svg', 'metrics.json', 'report.html', 'report.md']);
    const md = await readFile(path.join(out, 'report.md'), 'utf8');
    expect(md).not.toContain('examples.png');
    expect(md).not.toContain('attention.png');
  });

  it('the sample report is deterministic', () => {
    expect(renderReportJson(sampleRunReport({ evalSamples: 6, examples: 1 }))).toBe(renderReportJson(sampleRunReport({ evalSamples: 6, examples: 1 })));
  });
});
