/**
 * `pnpm bench:step [--fusion NAME] [--batch N] [--size N] [--steps N] [--preset tiny|seed] [--top N] [--precision f32|mixed]
 *  [--vs-torch [--python PATH] [--runs N] [--json FILE]]`: one training step of the study's model as
 * `pnpm train` runs it (bench/src/train-step.ts), timed over several steps after warm-up: images per
 * second, milliseconds per step, dispatches per step, host milliseconds spent recording, and the
 * GPU time per kernel of one step (`runtime().profile`, a pass per dispatch: use it to rank
 * kernels, not to time the step). `--precision mixed` times the mixed-precision step (`pnpm train
 * --precision mixed`): its host time includes the one GPU sync per step that reads the overflow
 * flag, and its profile covers the step up to that flag (not the optimizer update after it).
 * `--vs-torch` also times the same step in PyTorch CPU (bench/torch/step.py, 2 threads),
 * alternating Fusion and PyTorch runs (3 each by default), prints both medians and the ratio
 * (Fusion img/s / PyTorch img/s), and writes the JSON report (default
 * bench/results/<date>-step-vs-torch-<adapter>.json). Where the interpreter or torch is missing,
 * the peer is skipped and the reason printed.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init, runtime, destroyDevice } from '@fusion/tensor';
import type { RecordedStep } from '@fusion/train';
import { makeTrainStep, timeTrainSteps, type StepTiming } from './src/train-step.js';
import { DEFAULT_TORCH_PYTHON, runTorchStep, type TorchStepConfig } from './src/torch-peer.js';
import { defaultResultPath, writeReport, type BenchReport } from './src/report.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

function positive(name: string, fallback: number): number {
  const v = Number(flag(name, String(fallback)));
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer, got '${flag(name, '')}'`);
  return v;
}


const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const presetName = flag('preset', 'tiny');
  const vsTorch = process.argv.includes('--vs-torch');
  const steps = positive('steps', 10);
  const runs = positive('runs', 3);
  const rt = await init();
  const batch = flag('batch', '');
  const size = flag('size', '');
  const step = await makeTrainStep({
    preset: presetName, fusion: flag('fusion', 'cross-pixel'),
    ...(batch ? { batch: Number(batch) } : {}), ...(size ? { size: Number(size) } : {}), batches: steps + 4, precision: flag('precision', 'f32'),
  });
  for (let s = 0; s < 3; s++) {
    const r = step.record(s);
    await r.finish();
    await r.loss.item();
    r.loss.dispose();
  }
  console.log(`${step.fusion}, ${step.preset} preset, batch ${step.batch}, ${step.size}x${step.size}, ${step.precision} precision, ${rt.gpu.info.description}`);
  console.log(step.describeParameters());
  const line = (r: StepTiming) =>
    `${r.ms.toFixed(1)} ms/step, ${((step.batch * 1000) / r.ms).toFixed(1)} img/s, ${r.dispatches.toFixed(0)} dispatches/step, ${r.hostMs.toFixed(1)} ms/step host recording (${((100 * r.hostMs) / r.ms).toFixed(0)}%), peak ${(r.peakBytes / 2 ** 20).toFixed(0)} MiB live GPU buffers`;
  const fusionRuns: StepTiming[] = [];
  const torchMs: number[] = [];
  let torchNote: string | null = null;
  let torchVersion = '';
  if (!vsTorch) {
    const r = await timeTrainSteps(step, 3, steps);
    fusionRuns.push(r);
    console.log(line(r));
  } else {
    const python = flag('python', DEFAULT_TORCH_PYTHON);
    const config: TorchStepConfig = {
      model: step.modelOptions, batch: step.batch, size: step.size, maxTokens: step.maxTokens, lr: step.lr, posWeight: step.posWeight,
      threads: 2, warmup: 3, steps,
    };
    console.log(`alternating ${runs} Fusion runs and ${runs} PyTorch CPU runs (${python}, 2 threads) of ${steps} steps each; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    for (let r = 0; r < runs; r++) {
      const f = await timeTrainSteps(step, 3 + r * steps, steps);
      fusionRuns.push(f);
      console.log(`  Fusion  run ${r + 1}: ${line(f)}`);
      if (torchNote) continue;
      const t = runTorchStep(python, config);
      if ('skipped' in t) {
        torchNote = t.skipped;
        console.log(`  PyTorch skipped: ${t.skipped}`);
        continue;
      }
      torchVersion = `torch ${t.torch}, ${t.threads} threads`;
      torchMs.push(t.msPerStep);
      console.log(`  PyTorch run ${r + 1}: ${t.msPerStep.toFixed(1)} ms/step, ${((step.batch * 1000) / t.msPerStep).toFixed(1)} img/s (${torchVersion})`);
    }
    const fusionMs = median(fusionRuns.map((f) => f.ms));
    const hostMs = median(fusionRuns.map((f) => f.hostMs));
    console.log(`\nFusion median ${fusionMs.toFixed(1)} ms/step (${((step.batch * 1000) / fusionMs).toFixed(1)} img/s), host recording median ${hostMs.toFixed(1)} ms (${((100 * hostMs) / fusionMs).toFixed(0)}%)`);
    if (torchMs.length) {
      const t = median(torchMs);
      console.log(`PyTorch CPU median ${t.toFixed(1)} ms/step (${((step.batch * 1000) / t).toFixed(1)} img/s, ${torchVersion})`);
      console.log(`ratio Fusion / PyTorch img/s: ${(t / fusionMs).toFixed(2)} (above 1: Fusion is faster; medians of ${runs} alternating runs, machine shared)`);
    } else console.log(`PyTorch CPU: skipped (${torchNote})`);
    const info = rt.gpu.info;
    const report: BenchReport & Record<string, unknown> = {
      adapter: { description: info.description, vendor: info.vendor, architecture: info.architecture, features: info.features, limits: info.limits },
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, memory: totalmem() },
      loadAverage: loadavg(),
      runs: { fusion: fusionRuns, torchMsPerStep: torchMs, ...(torchNote ? { torchSkipped: torchNote } : { torch: torchVersion }) },
      rows: [{
        kernel: 'trainStep', variant: step.precision === 'f32' ? step.fusion : `${step.fusion} ${step.precision}`, shape: `${step.preset} batch ${step.batch} ${step.size}x${step.size}`, ms: fusionMs, clock: 'wall',
        ...(torchMs.length ? { peer: { name: `PyTorch CPU (${torchVersion})`, ms: median(torchMs) }, speedup: median(torchMs) / fusionMs } : {}),
      }],
    };
    const path = flag('json', defaultResultPath(dirname(fileURLToPath(import.meta.url)), report, 'step-vs-torch'));
    writeReport(path, report);
    console.log(`wrote ${path}`);
  }
  if (rt.gpu.hasFeature('timestamp-query')) {
    let profiled: RecordedStep | null = null;
    const kernels = await rt.profile(() => {
      profiled = step.record(3 + runs * steps);
    });
    await profiled!.finish();
    profiled!.loss.dispose();
    const total = kernels.reduce((a, k) => a + k.ms, 0);
    console.log(`\nGPU time per kernel over one step (one pass per dispatch: ${total.toFixed(1)} ms in all)`);
    for (const k of kernels.slice(0, Number(flag('top', '20')))) console.log(`  ${k.kernel.padEnd(42)} ${k.ms.toFixed(2).padStart(8)} ms ${String(k.count).padStart(5)}x ${((100 * k.ms) / total).toFixed(1).padStart(5)}%`);
  }
  step.dispose();
  destroyDevice();
}

main().catch((e: Error) => {
  console.error(`bench:step: ${e.message}`);
  process.exit(1);
});
