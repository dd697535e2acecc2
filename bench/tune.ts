/**
 * `pnpm bench tune [--preset tiny|seed] [--fusion NAME] [--cache FILE] [--json FILE] [--force]`:
 * records the (kernel, shape class) lookups one training step of the preset makes in the variant
 * table, times the candidate variants and `override` constants for each (bench/src/tune.ts), writes
 * the winners to the tuning cache of this adapter and Dawn build (default `tuneCachePath()`:
 * FUSION_TUNE_CACHE, else ~/.cache/fusion/tune.json), then times the step under the heuristics and
 * under the tuned table, alternating. Prints the gain per kernel and writes the JSON report
 * (default bench/results/<date>-tune-<preset>-<adapter>.json). Exits 2 on bad arguments.
 */
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  init, runtime, applyTuning, tuneCachePath, writeTuneCache, useTuneCache,
  dawnVersion, tunedVariants, type TuneCacheEntry,
} from '@fusion/tensor';
import { makeTrainStep, type TrainStep } from './src/train-step.js';
import { tuneLookups, gainPerKernel, stepLookups } from './src/tune.js';
import { defaultResultPath, writeReport, type BenchReport } from './src/report.js';

export const TUNE_USAGE = `usage: pnpm bench tune [--preset tiny|seed] [--fusion NAME] [--cache FILE] [--json FILE] [--force]

  --preset NAME  the training preset whose step is tuned (default tiny)
  --fusion NAME  the fusion head (default cross-pixel)
  --cache FILE   the tuning cache to write (default FUSION_TUNE_CACHE, else ~/.cache/fusion/tune.json)
  --json FILE    where to write the report (default bench/results/<date>-tune-<preset>-<adapter>.json)
  --force        replace a cache file that is not a tuning cache`;

export interface TuneArgs {
  preset: string;
  fusion: string;
  cache?: string;
  json?: string;
  force: boolean;
}

/** The options, or the usage text (`help`), or what is wrong (`error`). */
export function parseTuneArgs(argv: readonly string[]): TuneArgs | { help: string } | { error: string } {
  const out: TuneArgs = { preset: 'tiny', fusion: 'cross-pixel', force: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return { help: TUNE_USAGE };
    if (arg === '--force') out.force = true;
    else if (arg === '--preset' || arg === '--fusion' || arg === '--cache' || arg === '--json') {
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) return { error: `${arg} needs a value` };
      out[arg.slice(2) as 'preset' | 'fusion' | 'cache' | 'json'] = value;
    } else return { error: `unknown option '${arg}'` };
  }
  return out;
}

/** GPU ms of one step, alternating heuristics and tuned entries, `rounds` times each; medians. */
async function stepTimes(step: TrainStep, entries: TuneCacheEntry[], rounds: number): Promise<{ heuristicMs: number[]; tunedMs: number[] }> {
  const rt = runtime();
  const heuristicMs: number[] = [];
  const tunedMs: number[] = [];
  let s = 100;
  for (let r = 0; r < rounds; r++) {
    for (const tuned of [false, true]) {
      applyTuning(tuned ? entries : []);
      step.run(s++).dispose();
      const t = await rt.timeRegion(() => step.run(s++).dispose());
      (tuned ? tunedMs : heuristicMs).push(t.ms);
    }
  }
  return { heuristicMs, tunedMs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function tuneMain(argv: readonly string[]): Promise<number> {
  const args = parseTuneArgs(argv);
  if ('help' in args) {
    console.log(args.help);
    return 0;
  }
  if ('error' in args) {
    console.error(`${args.error}\n\n${TUNE_USAGE}`);
    return 2;
  }
  const cache = args.cache ?? tuneCachePath();
  if (!cache) {
    console.error('FUSION_TUNE_CACHE is off: pass --cache FILE to say where the tuning goes');
    return 2;
  }
  const started = performance.now();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  await init();
  const rt = runtime();
  const step = await makeTrainStep({ preset: args.preset, fusion: args.fusion });
  log(`bench tune: ${step.fusion}, ${step.preset} preset, batch ${step.batch}, ${step.size}x${step.size}; ${rt.gpu.info.description}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const lookups = await stepLookups(step);
  log(`one step looked up ${lookups.length} (kernel, shape class) pairs in the variant table; timing the candidates of each`);
  const tuneStart = performance.now();
  const { rows, entries } = await tuneLookups(lookups, 1, { log });
  const tuningSeconds = (performance.now() - tuneStart) / 1000;
  writeTuneCache(cache, rt.gpu.info, entries, args.force);
  useTuneCache(cache);
  const loaded = tunedVariants().length;
  log(`wrote ${entries.length} tuned entries to ${cache} (the runtime loaded ${loaded} back)`);
  const times = await stepTimes(step, entries, 3);
  const perKernel = gainPerKernel(rows);
  const info = rt.gpu.info;
  const report: BenchReport & Record<string, unknown> = {
    adapter: { description: info.description, vendor: info.vendor, architecture: info.architecture, features: info.features, limits: info.limits },
    dawn: dawnVersion(),
    date: new Date().toISOString(),
    machine: { cpus: (await import('node:os')).cpus().length, memory: (await import('node:os')).totalmem() },
    preset: step.preset,
    fusion: step.fusion,
    cache,
    tuningSeconds,
    step: { heuristicMs: times.heuristicMs, tunedMs: times.tunedMs, clock: 'timestamp or wall (runtime().timeRegion)' },
    perKernel,
    rows: rows.map((r) => ({
      kernel: r.kernel, variant: r.best.constants ? `${r.best.variant} ${JSON.stringify(r.best.constants)}` : r.best.variant, shape: `${r.shape} (${r.sizes.join('x')})`,
      ms: r.best.ms, clock: 'timestamp' as const, peer: { name: `heuristic ${r.heuristic.variant}`, ms: r.heuristic.ms }, speedup: r.gain,
      perStep: r.perStep, tuned: r.tuned, candidates: r.candidates,
    })),
  };
  const path = args.json ?? defaultResultPath(dirname(fileURLToPath(import.meta.url)), report, `tune-${step.preset}`);
  writeReport(path, report);
  console.log(`adapter: ${info.description} (${info.vendor}, ${info.architecture}), ${dawnVersion()}`);
  console.log(`tuned ${rows.length} (kernel, shape class) pairs in ${tuningSeconds.toFixed(1)} s; ${entries.length} beat the heuristic by > 5% and went to ${cache}`);
  console.log('\nestimated GPU ms per step (stand-in problems alone x problems per step)\nkernel              classes  tuned          heuristic  tuned   gain');
  for (const k of perKernel) {
    console.log(`  ${k.kernel.padEnd(18)} ${String(k.classes).padStart(6)} ${String(k.tuned).padStart(6)} ${k.heuristicMs.toFixed(2).padStart(18)} ${k.tunedMs.toFixed(2).padStart(7)} ${k.gain.toFixed(2).padStart(6)}x`);
  }
  console.log(`\nwhole step (GPU clock, 3 alternating runs each): heuristics ${median(times.heuristicMs).toFixed(1)} ms, tuned ${median(times.tunedMs).toFixed(1)} ms (medians; machine shared, noisy)`);
  console.log(`wrote ${path} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  step.dispose();
  return 0;
}
