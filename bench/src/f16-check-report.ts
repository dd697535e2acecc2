/**
 * The f16 GEMM kernels' check (bench/f16-check.ts) as data: its JSON report, and how the GPU command
 * (bench/gpu.ts) reads it as its `f16-check` stage. bench/gpu.sh runs the check first in its own
 * process (an experimental tensor-core kernel that loses the device costs only that process) and
 * passes the report's path with `--f16-check`; where a kernel failed, or the check died before
 * writing its report, the rest of the run forces the tiled f16 GEMM, so the mixed rows' numbers
 * come from a kernel that passed (or say they could not).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { F16Error } from '@fusion/tensor/testing';

/** One product of one 'gemm-f16' strategy against float64: its errors, or why it failed. */
export interface F16CheckRow {
  strategy: string;
  product: string;
  K: number;
  ok: boolean;
  /** Errors against the float64 product of the f32 operands (bounded by f16GemmErrorBound). */
  vsF32Inputs?: F16Error;
  /** Errors against the float64 product of the f16-rounded operands (what the f32 accumulation adds). */
  vsF16Inputs?: F16Error;
  error?: string;
}

export interface F16CheckReport {
  adapter: string;
  date: string;
  /** The strategies checked (subgroup-matrix only where the adapter has tensor cores). */
  strategies: string[];
  /** Why nothing ran (no shader-f16), else absent. */
  skipped?: string;
  /** Why subgroup-matrix was not checked, where it was not. */
  unchecked?: string;
  rows: F16CheckRow[];
}

/** What the GPU command records of the check. */
export interface F16CheckStage {
  status: 'ran' | 'skipped' | 'failed';
  /** The reason (skipped) or the error (failed). */
  reason?: string;
  report: F16CheckReport | null;
  /** The 'gemm-f16' strategy the rest of the run forces, or null (the variant table decides). */
  force: string | null;
}

/** Reads the report at `file` (written by bench/f16-check.ts --json) as the GPU command's stage. */
export function readF16Check(file: string | null): F16CheckStage {
  if (!file) return { status: 'skipped', reason: 'no --f16-check report given (bench/gpu.sh runs bench/f16-check.ts first and passes it)', report: null, force: null };
  if (!existsSync(file)) {
    return { status: 'failed', reason: `${file} was not written: bench/f16-check.ts died before its report (see its output); the run forces the tiled f16 GEMM`, report: null, force: 'tiled' };
  }
  const report = JSON.parse(readFileSync(file, 'utf8')) as F16CheckReport;
  if (report.skipped) return { status: 'skipped', reason: report.skipped, report, force: null };
  const bad = report.rows.filter((r) => !r.ok);
  if (!bad.length) return { status: 'ran', report, force: null };
  const tiledBad = bad.some((r) => r.strategy === 'tiled');
  const errors = bad.map((r) => `${r.strategy} ${r.product}: ${r.error}`).join('; ');
  return { status: 'failed', reason: `${errors}${tiledBad ? '' : '; the run forces the tiled f16 GEMM'}`, report, force: tiledBad ? null : 'tiled' };
}
