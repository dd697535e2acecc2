/**
 * Arguments and stage names of the GPU command (bench/gpu.ts, run by bench/gpu.sh), apart from the
 * entry so tests read them without running it.
 */

export const GPU_USAGE = `usage: bench/gpu.sh [--dry-run] [--out DIR] [--python PATH] [--budget SECONDS] [--no-peer]

  --dry-run       small sizes (tiny preset, quick matmul/conv2d grids, PyTorch on the CPU if installed)
  --out DIR       where the JSON and the tuning cache go (default bench/results)
  --python PATH   the interpreter of bench/torch/seed.py (default python3)
  --budget S      seconds after which no stage starts new work (default 420; the run fits 8 minutes)
  --no-peer       no TF.js peer in the kernel benchmarks`;

export interface GpuArgs {
  dryRun: boolean;
  out: string;
  python: string;
  budget: number;
  peer: boolean;
}

/** The options, or the usage text (`help`), or what is wrong (`error`). */
export function parseGpuArgs(argv: readonly string[]): GpuArgs | { help: string } | { error: string } {
  const out: GpuArgs = { dryRun: false, out: 'bench/results', python: 'python3', budget: 420, peer: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return { help: GPU_USAGE };
    if (arg === '--dry-run') out.dryRun = true;
    else if (arg === '--no-peer') out.peer = false;
    else if (arg === '--out' || arg === '--python' || arg === '--budget') {
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) return { error: `${arg} needs a value` };
      if (arg === '--budget') {
        out.budget = Number(value);
        if (!(out.budget > 0)) return { error: `--budget must be a positive number of seconds, got '${value}'` };
      } else out[arg.slice(2) as 'out' | 'python'] = value;
    } else return { error: `unknown option '${arg}'` };
  }
  return out;
}

export type StageStatus = { status: 'ran'; seconds: number; note?: string } | { status: 'skipped'; reason: string } | { status: 'failed'; error: string; seconds: number };

export const GPU_STAGES = ['device', 'check', 'torch', 'tune', 'steps', 'kernels'] as const;

