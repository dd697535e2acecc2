/**
 * The GPU command, run by `bench/gpu.sh` (see bench/README.md): bundled into .gpu/app/gpu.mjs for
 * the GPU machine (no Node install, no network there), it measures in one call:
 *   1. device: prints the adapter, its features and limits, Dawn's flags and build;
 *   2. torch: the PyTorch reference bench/torch/seed.py (cuBLAS/cuDNN kernel figures, the same
 *      training step per fusion in f32, TF32 and bf16 autocast, its peak memory);
 *   3. tune: `pnpm bench tune`'s tuner on one seed-preset step, writing the tuning cache into the
 *      output folder and running everything after it with that cache;
 *   4. steps: the seed-preset training step (batch 8, 512x512) of each fusion head, in f32 and in
 *      mixed precision where this build has it: ms, img/s, dispatches, host ms, peak GPU memory;
 *   5. kernels: the kernel benchmarks at full size (TF.js as the peer on the same adapter);
 * then prints one table of ratios (ours / PyTorch) against issue 12's targets and writes
 * `<out>/<date>-gpu-<adapter>.json` (the bench result shape: adapter, date, rows; plus the stages,
 * steps, PyTorch's figures and the ratios). Every stage ran, or says why it was skipped or failed.
 * `--dry-run`: the same stages at small sizes (tiny preset, quick matmul and conv2d grids, PyTorch
 * on the CPU where it is installed) for lavapipe and the test suite.
 * Usage: gpu.ts [--dry-run] [--out DIR] [--python PATH] [--budget SECONDS] [--no-peer]
 * Exit code: 0 when no stage failed, 1 otherwise, 2 on bad arguments.
 */
import { cpus, totalmem } from 'node:os';
import { existsSync, mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { init, destroyDevice, runtime, dawnVersion } from '@fusion/tensor';
import { kernelBenches } from './kernels/index.js';
import { benchDeviceOptions } from './src/runner.js';
import { defaultResultPath, writeReport, formatTable, type BenchReport, type BenchRow } from './src/report.js';
import { gpuRunPlan, describeDevice, checkGemmVariants, torchStage, tuneStage, stepsStage, kernelsStage } from './src/gpu-stages.js';
import { ratioTable, formatRatioTable, TORCH_FUSION_OF, type StepResult, type TorchSeedResult } from './src/gpu-table.js';
import { TRAIN_STEP_PRECISIONS } from './src/train-step.js';
import { parseGpuArgs, GPU_USAGE, GPU_STAGES, type StageStatus } from './src/gpu-args.js';

async function main(argv: readonly string[]): Promise<number> {
  const args = parseGpuArgs(argv);
  if ('help' in args) {
    console.log(args.help);
    return 0;
  }
  if ('error' in args) {
    console.error(`${args.error}\n\n${GPU_USAGE}`);
    return 2;
  }
  const started = performance.now();
  const deadline = started + args.budget * 1000;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const plan = gpuRunPlan(args.dryRun);
  const tokenizerPath = resolve('packages/models/assets/tokenizer.json');
  if (!existsSync(tokenizerPath)) {
    console.error(`${tokenizerPath} not found: run the GPU command from the repository root (bench/gpu.sh does)`);
    return 2;
  }
  mkdirSync(args.out, { recursive: true });
  const stages: Record<string, StageStatus> = {};
  /** Runs one stage, recording its status; its result, or null when it failed. */
  async function stage<T>(name: string, fn: () => Promise<T> | T): Promise<T | null> {
    const t0 = performance.now();
    log(`== ${name}`);
    try {
      const r = await fn();
      stages[name] ??= { status: 'ran', seconds: (performance.now() - t0) / 1000 };
      return r;
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      stages[name] = { status: 'failed', error, seconds: (performance.now() - t0) / 1000 };
      log(`${name} FAILED: ${error}`);
      return null;
    }
  }

  const rt = await init(benchDeviceOptions());
  const info = rt.gpu.info;
  const device = (await stage('device', () => describeDevice()))!;
  console.log(`device: ${info.description} (${info.vendor}, ${info.architecture})${info.isSoftware ? ' [software]' : ''}; ${dawnVersion()}`);
  console.log(`  features: ${info.features.join(', ')}`);
  console.log(`  limits: storage binding ${info.limits.maxStorageBufferBindingSize}, workgroup memory ${info.limits.maxComputeWorkgroupStorageSize}, invocations ${info.limits.maxComputeInvocationsPerWorkgroup}; Dawn flags: ${info.dawnFlags.join(' ') || '(none)'}`);
  console.log(`${args.dryRun ? 'dry run' : 'full run'}: ${plan.preset} preset, batch ${plan.batch}, ${plan.size}x${plan.size}; budget ${args.budget} s`);

  const check = await stage('check', () => checkGemmVariants(log));
  if (check) {
    const bad = check.checks.filter((c) => !c.ok);
    console.log(`GPU GEMM variants against float64: ${check.checks.length - bad.length} of ${check.checks.length} products right${check.forced ? `; the rest of the run forces the ${check.forced} GEMM` : ''}`);
    if (bad.length) stages.check = { status: 'failed', error: bad.map((c) => `${c.variant} ${c.product}: ${c.error}`).join('; '), seconds: (stages.check as { seconds: number }).seconds };
  }

  let torch: TorchSeedResult | null = null;
  let torchMissing = '';
  await stage('torch', () => {
    const r = torchStage(args.python, plan);
    if ('skipped' in r) {
      torchMissing = r.skipped;
      stages.torch = { status: 'skipped', reason: r.skipped };
    } else torch = r.torch;
  });
  if (stages.torch.status === 'failed') torchMissing = `the PyTorch reference failed: ${(stages.torch as { error: string }).error.split('\n')[0]}`;

  const stamp = new Date().toISOString();
  const report: BenchReport = {
    adapter: { description: info.description, vendor: info.vendor, architecture: info.architecture, features: info.features, limits: info.limits },
    date: stamp,
    machine: { cpus: cpus().length, memory: totalmem() },
    rows: [],
  };
  const base = join(args.out, basename(defaultResultPath('.', report, args.dryRun ? 'gpu-dry' : 'gpu')));
  const cache = base.replace(/\.json$/, '.tune-cache.json');
  const tune = await stage('tune', () => tuneStage(plan, tokenizerPath, cache, deadline, log));
  if (tune?.notTuned.length) (stages.tune as { note?: string }).note = `${tune.notTuned.length} of ${tune.lookups} lookups not tuned (tune.notTuned says why)`;
  if (tune) console.log(`tuned ${tune.timed} of ${tune.lookups} (kernel, shape class) lookups${tune.notTuned.length ? ` (${tune.notTuned.length} not tuned: time budget or too large to bind)` : ''}; ${tune.entries.length} beat the heuristic and went to ${tune.cache}`);

  const stepsResult = await stage('steps', () => stepsStage(plan, tokenizerPath, deadline, log));
  const steps: StepResult[] = stepsResult?.steps ?? [];
  if (stepsResult && steps.length === 0) stages.steps = { status: 'skipped', reason: stepsResult.notRun.map((n) => `${n.head} ${n.precision}: ${n.reason}`).join('; ') };
  else if (stepsResult?.notRun.length) (stages.steps as { note?: string }).note = `${stepsResult.notRun.length} head/precision pairs not run (stepsNotRun says why)`;

  const kernels = await stage('kernels', () => kernelsStage(kernelBenches, plan, args.peer, deadline, log));
  if (kernels) {
    report.rows.push(...kernels.report.rows);
    if (args.dryRun) (stages.kernels as { note?: string }).note = `quick ${plan.kernels!.join(' and ')} grids (bench.test.ts runs every kernel's quick grid)`;
    if (kernels.unrun.length) (stages.kernels as { note?: string }).note = `${kernels.unrun.length} cases not run: the time budget ran out`;
    console.log(`\nkernel benchmarks (${plan.quickKernels ? 'quick' : 'full'} grid)\n${formatTable(kernels.report, kernels.peerNotes)}`);
    for (const f of kernels.failures) console.log(`FAILED ${f.kernel} ${f.shape} (${f.side}): ${f.error}`);
  }
  const torchResult = torch as TorchSeedResult | null;
  for (const s of steps) {
    const fusion = TORCH_FUSION_OF[s.head];
    const peer = torchResult?.steps.find((t) => t.fusion === fusion && t.prec === (s.precision === 'f32' ? 'fp32' : 'bf16'));
    const row: BenchRow = { kernel: 'trainStep', variant: `${s.head} ${s.precision}`, shape: `${s.preset} batch ${s.batch} ${s.size}x${s.size}`, ms: s.ms, clock: 'wall' };
    if (peer) {
      row.peer = { name: `PyTorch ${torchResult!.torch} ${peer.prec} (${fusion}) on ${torchResult!.device}`, ms: peer.step_ms };
      row.speedup = peer.step_ms / s.ms;
    }
    report.rows.push(row);
  }

  if (steps.length) {
    console.log('\ntraining steps (wall clock per step, reading back the last loss)');
    for (const s of steps) console.log(`  ${s.head.padEnd(13)} ${s.precision.padEnd(6)} ${s.ms.toFixed(1).padStart(9)} ms ${s.imgPerS.toFixed(2).padStart(8)} img/s ${s.dispatches.toFixed(0).padStart(6)} dispatches ${s.hostMs.toFixed(1).padStart(8)} ms host ${(s.peakBytes / 2 ** 20).toFixed(0).padStart(7)} MiB peak`);
  }
  for (const n of stepsResult?.notRun ?? []) if (n.precision !== 'mixed' || n.head === plan.heads[0]) console.log(`  not run: ${n.head} ${n.precision}: ${n.reason}`);

  const shapes = { ...(args.dryRun ? { matmul: 256, convCase: '3x3 (small)' } : { matmul: 4096, convCase: 'gpu-target' }), step: `${plan.preset}-preset step` };
  const ratios = ratioTable(report.rows, steps, torchResult, torchMissing, shapes, {
    f16Matmul: report.rows.some((r) => r.kernel === 'matmul' && /f16|subgroup-matrix/i.test(r.variant)) ? undefined : 'no f16 matmul kernel in this build (issue 12 item 2)',
    mixed: TRAIN_STEP_PRECISIONS.includes('mixed') ? undefined : "no --precision mixed in this build's training step (issue 12 item 2)",
  });
  console.log(`\nratios against issue 12's targets (ours / PyTorch, same ${args.dryRun ? 'call; DRY RUN: small sizes, the targets do not apply' : 'call'})`);
  console.log(formatRatioTable(ratios));

  for (const name of GPU_STAGES) stages[name] ??= { status: 'skipped', reason: 'not reached' };
  const result = {
    ...report,
    dawn: dawnVersion(),
    dryRun: args.dryRun,
    seconds: (performance.now() - started) / 1000,
    device,
    stages,
    checks: check?.checks ?? [],
    forcedGemm: check?.forced ?? null,
    plan: { preset: plan.preset, batch: plan.batch, size: plan.size, heads: plan.heads, warmupSteps: plan.warmupSteps, timedSteps: plan.timedSteps },
    tune: tune ? { lookups: tune.lookups, timed: tune.timed, notTuned: tune.notTuned, cache: tune.cache, entries: tune.entries } : null,
    steps,
    stepsNotRun: stepsResult?.notRun ?? [],
    kernelsNotRun: kernels?.unrun ?? [],
    kernelFailures: kernels?.failures ?? [],
    torch: torchResult,
    ratios,
  };
  writeReport(base, result as unknown as BenchReport);
  console.log(`\nstages: ${GPU_STAGES.map((n) => `${n} ${stages[n].status}`).join(', ')}`);
  console.log(`wrote ${base} in ${result.seconds.toFixed(0)} s`);
  return Object.values(stages).some((s) => s.status === 'failed') ? 1 : 0;
}

main(process.argv.slice(2))
  .then((code) => {
    destroyDevice();
    process.exit(code);
  })
  .catch((e) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    destroyDevice();
    process.exit(1);
  });
