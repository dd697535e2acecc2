/**
 * The ratio table of `bench/gpu.sh`: Fusion's figures over PyTorch's (cuBLAS, cuDNN, eager training
 * step) from the same call, against issue 12's targets. Pure: it reads the kernel rows, the timed
 * steps and the PyTorch script's JSON, and says for each figure why it has no ratio when one side
 * is missing (a row not run, the f16 kernels or the mixed-precision step not in this build,
 * PyTorch skipped).
 */
import type { BenchRow } from './report.js';

/** One training step timing of the GPU command. */
export interface StepResult {
  head: string;
  precision: string;
  preset: string;
  batch: number;
  size: number;
  ms: number;
  imgPerS: number;
  hostMs: number;
  dispatches: number;
  peakBytes: number;
}

/** What bench/torch/seed.py prints (the fields the table reads). */
export interface TorchSeedResult {
  torch: string;
  device: string;
  kernels: Record<string, { shape: string; ms: number; tflops: number }>;
  steps: { fusion: string; prec: string; step_ms: number; img_per_s: number; max_memory_allocated: number | null }[];
}

export interface RatioRow {
  figure: string;
  /** Fusion's figure, formatted, or null. */
  ours: string | null;
  /** PyTorch's figure, formatted, or null. */
  peer: string | null;
  /** ours / PyTorch (throughput, or memory for the memory rows), or null with `missing` saying why. */
  ratio: number | null;
  target: string;
  /** Whether the ratio meets the target (null without a ratio). */
  meets: boolean | null;
  missing?: string;
}

/** Fusion's heads timed against torch_seed.py's fusions: cross is image pixels attending to text tokens. */
export const TORCH_FUSION_OF: Readonly<Record<string, string>> = { concat: 'concat', outer: 'outer', 'cross-pixel': 'cross' };

/** The shapes of the kernel figures: the on a GPU, small stand-ins in a dry run. */
export interface TargetShapes {
  /** n of the n^3 matmuls. */
  matmul: number;
  /** Shape label prefix of the conv2d row (the bench's case name). */
  convCase: string;
  /** What the step rows time, e.g. 'seed-preset step'. */
  step: string;
}

function best(rows: readonly BenchRow[], select: (r: BenchRow) => boolean): BenchRow | null {
  let out: BenchRow | null = null;
  for (const r of rows) if (select(r) && r.gflops !== undefined && (!out || r.gflops > out.gflops!)) out = r;
  return out;
}

const tflops = (gflops: number) => `${(gflops / 1000).toFixed(gflops < 100 ? 4 : 2)} TFLOP/s`;
const MiB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

function ratioRow(figure: string, target: string, atLeast: boolean, bound: number, ours: { text: string; value: number } | string, peer: { text: string; value: number } | string): RatioRow {
  const missing = [ours, peer].filter((x): x is string => typeof x === 'string');
  if (missing.length) {
    return { figure, ours: typeof ours === 'string' ? null : ours.text, peer: typeof peer === 'string' ? null : peer.text, ratio: null, target, meets: null, missing: missing.join('; ') };
  }
  const o = ours as { text: string; value: number };
  const p = peer as { text: string; value: number };
  const ratio = o.value / p.value;
  return { figure, ours: o.text, peer: p.text, ratio, target, meets: atLeast ? ratio >= bound : ratio <= bound };
}

/**
 * The ratios against the targets. `torch` is null when PyTorch did not run (`torchMissing` says why);
 * `absent` names what this build cannot measure (e.g. the mixed-precision step) and why.
 */
export function ratioTable(
  kernelRows: readonly BenchRow[], steps: readonly StepResult[], torch: TorchSeedResult | null, torchMissing: string,
  shapes: TargetShapes, absent: { f16Matmul?: string; mixed?: string } = {},
): RatioRow[] {
  const n = shapes.matmul;
  const cube = `${n}x${n}x${n}`;
  const peerKernel = (key: string) => {
    if (!torch) return `PyTorch: ${torchMissing}`;
    const k = torch.kernels[key];
    return k ? { text: `${k.tflops.toFixed(3)} TFLOP/s`, value: k.tflops * 1000 } : `PyTorch printed no ${key}`;
  };
  const oursKernel = (row: BenchRow | null, what: string) => (row ? { text: `${tflops(row.gflops!)} (${row.variant})`, value: row.gflops! } : `no ${what} row in this run`);
  const isF16 = (r: BenchRow) => /f16|bf16|half|subgroup-matrix|mixed/i.test(`${r.variant} ${r.kernel}`);
  const out: RatioRow[] = [
    ratioRow(`f32 matmul ${cube} / cuBLAS f32 (TF32 off)`, '>= 0.8', true, 0.8,
      oursKernel(best(kernelRows, (r) => r.kernel === 'matmul' && r.shape === cube && !isF16(r)), `f32 matmul ${cube}`), peerKernel('matmul_f32')),
    ratioRow(`conv2d 3x3 f32 ${shapes.convCase} / cuDNN f32`, '>= 0.7', true, 0.7,
      oursKernel(best(kernelRows, (r) => r.kernel === 'conv2d' && r.shape.startsWith(shapes.convCase)), `conv2d ${shapes.convCase}`), peerKernel('conv3x3_f32')),
    ratioRow(`f16 tensor-core matmul ${cube} / cuBLAS bf16`, '>= 0.3', true, 0.3,
      absent.f16Matmul ?? oursKernel(best(kernelRows, (r) => r.kernel === 'matmul' && r.shape === cube && isF16(r)), `f16 matmul ${cube}`), peerKernel('matmul_bf16')),
  ];
  const peerStep = (fusion: string, prec: string) => {
    if (!torch) return `PyTorch: ${torchMissing}`;
    const s = torch.steps.find((x) => x.fusion === fusion && x.prec === prec);
    return s ? s : `PyTorch printed no ${fusion} ${prec} step`;
  };
  for (const [head, fusion] of Object.entries(TORCH_FUSION_OF)) {
    for (const [precision, prec, label] of [['f32', 'fp32', 'f32 eager'], ['mixed', 'bf16', 'bf16 autocast']] as const) {
      const ours = steps.find((s) => s.head === head && s.precision === precision);
      const oursFig = precision === 'mixed' && absent.mixed ? absent.mixed : ours ? { text: `${ours.imgPerS.toFixed(2)} img/s`, value: ours.imgPerS } : `no ${head} ${precision} step in this run`;
      const p = peerStep(fusion, prec);
      out.push(ratioRow(`${shapes.step} ${precision}, ${head}: img/s / PyTorch ${label} (${fusion})`, '>= 1.0', true, 1.0, oursFig,
        typeof p === 'string' ? p : { text: `${p.img_per_s.toFixed(2)} img/s`, value: p.img_per_s }));
    }
    const ours = steps.find((s) => s.head === head && s.precision === 'f32');
    const p = peerStep(fusion, 'fp32');
    out.push(ratioRow(`peak memory of the f32 step, ${head} / PyTorch max_memory_allocated`, '<= 1.0', false, 1.0,
      ours ? { text: MiB(ours.peakBytes), value: ours.peakBytes } : `no ${head} f32 step in this run`,
      typeof p === 'string' ? p : p.max_memory_allocated === null ? 'PyTorch reports no peak memory on this device (CPU)' : { text: MiB(p.max_memory_allocated), value: p.max_memory_allocated }));
  }
  return out;
}

/** The table as text: figure, ours, PyTorch, ratio, target, verdict (or why there is no ratio). */
export function formatRatioTable(rows: readonly RatioRow[]): string {
  const header = ['figure', 'Fusion', 'PyTorch', 'ratio', 'target', 'verdict'];
  const lines = rows.map((r) => [
    r.figure, r.ours ?? '-', r.peer ?? '-', r.ratio === null ? '-' : r.ratio.toFixed(2), r.target,
    r.meets === null ? `no ratio: ${r.missing}` : r.meets ? 'meets' : 'misses',
  ]);
  const all = [header, ...lines];
  const widths = header.map((_, i) => (i === header.length - 1 ? 0 : Math.max(...all.map((l) => l[i].length))));
  const fmt = (l: string[]) => l.map((c, i) => (i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [fmt(header), widths.map((w, i) => '-'.repeat(i === header.length - 1 ? 7 : w)).join('  '), ...lines.map(fmt)].join('\n');
}
