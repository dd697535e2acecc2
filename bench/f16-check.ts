/**
 * `pnpm bench:f16-check [--json FILE]`: the f16 GEMM kernels against float64, on this adapter,
 * for every 'gemm-f16' strategy it runs (subgroup-matrix where the adapter has tensor cores: the
 * one check of that kernel, which no CPU adapter can run; bench/gpu.sh runs this file, bundled,
 * with FUSION_EXPERIMENTAL=1 before the GPU command). For each product (matmul at growing K,
 * conv2d forward, dx, dW at ResNet-like shapes) it prints the largest absolute and relative error
 * against the float64 product of the f32 operands, the same against the float64 product of the
 * f16-rounded operands (what the f32 accumulation alone adds), and the worst error as a fraction
 * of the stated bound (f16GemmErrorBound; <= 1 passes); a product past its bound, or whose kernel
 * threw, is a failed row. `--json FILE` writes the report (src/f16-check-report.ts) in every case
 * but a crash. Exits 1 when a row failed or the adapter has no shader-f16.
 * "/scale" is the largest error over the largest |expected|; "max rel" is elementwise, over
 * elements with |expected| >= 1e-3 of the largest (cancellation makes it large).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  matmulReference, conv2dReference, conv2dBackwardInputReference, conv2dBackwardWeightReference, convOutputSize, GEMM_F16_STRATEGIES,
  type Conv2dGeometry,
} from '@fusion/kernels';
import {
  init, tensor, matmul, conv2d, backward, forceVariant, adapterFacts, destroyDevice, mixedPrecisionUnavailable, f16ArrayToF32, f32ArrayToF16, type Tensor,
} from '@fusion/tensor';
import { assertWithinF16Bound, randomArray } from '@fusion/tensor/testing';
import type { F16CheckReport, F16CheckRow } from './src/f16-check-report.js';

type Row = F16CheckRow;

const abs = (x: ArrayLike<number>) => Float64Array.from(x, Math.abs);
const rounded = (x: Float32Array) => f16ArrayToF32(f32ArrayToF16(x));

/**
 * A product's row: its errors against float64 of the f32 operands (bounded) and of the f16-rounded
 * operands (measured), or the bound it broke.
 */
function compare(
  strategy: string, product: string, K: number, actual: ArrayLike<number>, exact: ArrayLike<number>, exactOfRounded: ArrayLike<number>, absProduct: ArrayLike<number>,
): Row {
  try {
    const vsF32Inputs = assertWithinF16Bound(actual, exact, absProduct, K, product);
    // against the rounded operands only the f32 summation remains: a looser bound is not needed,
    // so measure with the same call and report its errors
    const vsF16Inputs = assertWithinF16Bound(actual, exactOfRounded, absProduct, K, `${product} (f16-rounded operands)`);
    return { strategy, product, K, ok: true, vsF32Inputs, vsF16Inputs };
  } catch (e) {
    return { strategy, product, K, ok: false, error: (e as Error).message.split('\n')[0] };
  }
}

/** Runs `products` on the GPU; where the kernel throws (a validation error, a lost device), one failed row per product. */
async function guarded(strategy: string, products: readonly { product: string; K: number }[], run: () => Promise<Row[]>): Promise<Row[]> {
  try {
    return await run();
  } catch (e) {
    const error = `the kernel threw: ${(e as Error).message.split('\n')[0]}`;
    return products.map(({ product, K }) => ({ strategy, product, K, ok: false, error }));
  }
}

async function checkMatmul(strategy: string, M: number, K: number, N: number): Promise<Row[]> {
  const product = `matmul ${M}x${K}x${N}`;
  return guarded(strategy, [{ product, K }], async () => {
    const a = randomArray(M * K, 1, -2, 2);
    const b = randomArray(K * N, 2, -2, 2);
    const ta = tensor(a, [M, K], 'f16');
    const tb = tensor(b, [K, N], 'f16');
    let out: ArrayLike<number>;
    try {
      const c = matmul(ta, tb);
      out = await c.toArray().finally(() => c.dispose());
    } finally {
      ta.dispose();
      tb.dispose();
    }
    return [compare(strategy, product, K, out, matmulReference(a, b, 1, M, K, N), matmulReference(rounded(a), rounded(b), 1, M, K, N), matmulReference(abs(a), abs(b), 1, M, K, N))];
  });
}

async function checkConv(strategy: string, g: Conv2dGeometry, pad: number): Promise<Row[]> {
  const name = `conv ${g.images}x${g.cIn}x${g.inH}x${g.inW} k${g.kH} -> ${g.cOut}`;
  const kF = g.cIn * g.kH * g.kW;
  const kI = g.cOut * g.kH * g.kW;
  const kW = g.images * g.outH * g.outW;
  const products = [{ product: `${name} forward`, K: kF }, { product: `${name} dx`, K: kI }, { product: `${name} dW`, K: kW }];
  return guarded(strategy, products, async () => {
    const x = randomArray(g.images * g.cIn * g.inH * g.inW, 3, -2, 2);
    const w = randomArray(g.cOut * g.cIn * g.kH * g.kW, 4);
    const dy = randomArray(g.images * g.cOut * g.outH * g.outW, 5);
    const tx = tensor(x, [g.images, g.cIn, g.inH, g.inW], 'f16');
    const tw = tensor(w, [g.cOut, g.cIn, g.kH, g.kW], 'f16');
    tx.requiresGrad = true;
    tw.requiresGrad = true;
    const owned: (Tensor | null)[] = [tx, tw];
    let fwd: ArrayLike<number>, dx: ArrayLike<number>, dw: ArrayLike<number>;
    try {
      const y = conv2d(tx, tw, null, { padding: pad });
      const tdy = tensor(dy, y.shape);
      owned.push(y, tdy);
      fwd = await y.toArray();
      backward(y, { grad: tdy });
      owned.push(tx.grad, tw.grad);
      dx = await tx.grad!.toArray();
      dw = await tw.grad!.toArray();
    } finally {
      for (const t of owned) t?.dispose();
    }
    const [rx, rw, rdy] = [rounded(x), rounded(w), rounded(dy)];
    return [
      compare(strategy, products[0].product, kF, fwd, conv2dReference(x, w, null, g), conv2dReference(rx, rw, null, g), conv2dReference(abs(x), abs(w), null, g)),
      compare(strategy, products[1].product, kI, dx, conv2dBackwardInputReference(dy, w, g), conv2dBackwardInputReference(rdy, rw, g), conv2dBackwardInputReference(abs(dy), abs(w), g)),
      compare(strategy, products[2].product, kW, dw, conv2dBackwardWeightReference(dy, x, g), conv2dBackwardWeightReference(rdy, rx, g), conv2dBackwardWeightReference(abs(dy), abs(x), g)),
    ];
  });
}

function geometry(images: number, cIn: number, size: number, cOut: number, k: number, pad: number): Conv2dGeometry {
  const out = convOutputSize(size, k, 1, pad, 1);
  return { images, cIn, inH: size, inW: size, cOut, kH: k, kW: k, outH: out, outW: out, strideH: 1, strideW: 1, padH: pad, padW: pad, dilH: 1, dilW: 1 };
}

/** Writes the report where `--json` says (its folder made), if it says. */
function writeJson(report: F16CheckReport): void {
  const i = process.argv.indexOf('--json');
  if (i < 0 || !process.argv[i + 1]) return;
  const file = process.argv[i + 1];
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${file}`);
}

async function main(): Promise<number> {
  const rt = await init();
  const facts = adapterFacts();
  const adapter = rt.gpu.info.description;
  const date = new Date().toISOString();
  if (!facts.shaderF16) {
    const skipped = mixedPrecisionUnavailable() ?? `the adapter (${adapter}) has no shader-f16`;
    console.error(`f16-check: no f16 GEMM to check: ${skipped}`);
    writeJson({ adapter, date, strategies: [], skipped, rows: [] });
    destroyDevice();
    return 1;
  }
  const strategies = GEMM_F16_STRATEGIES.filter((s) => s !== 'subgroup-matrix' || facts.subgroupMatrixF16);
  const unchecked = facts.subgroupMatrixF16 ? undefined : 'the adapter has no f16 subgroup-matrix configuration with 32-lane subgroups (chromium-experimental-subgroup-matrix)';
  console.log(`f16 GEMM kernels against float64 on ${adapter}; strategies: ${strategies.join(', ')}${unchecked ? ` (subgroup-matrix unverified: ${unchecked})` : ''}`);
  const rows: Row[] = [];
  for (const strategy of strategies) {
    forceVariant('gemm-f16', strategy);
    for (const [M, K, N] of [[67, 64, 45], [129, 1024, 66], [64, 4096, 33]]) rows.push(...(await checkMatmul(strategy, M, K, N)));
    rows.push(...(await checkConv(strategy, geometry(2, 32, 14, 48, 3, 1), 1)));
    forceVariant('gemm-f16', null);
  }
  const e = (x: number) => x.toExponential(2);
  console.log(`${'strategy'.padEnd(16)} ${'product'.padEnd(42)} ${'K'.padStart(5)}  max abs    /scale     max rel    of bound | f16-rounded inputs: max abs, /scale`);
  for (const r of rows) {
    const head = `${r.strategy.padEnd(16)} ${r.product.padEnd(42)} ${String(r.K).padStart(5)}  `;
    const v = r.vsF32Inputs;
    const w = r.vsF16Inputs;
    console.log(v && w ? `${head}${e(v.maxAbs)}  ${e(v.relToScale)}  ${e(v.maxRel)}  ${v.worstOfBound.toFixed(3).padStart(8)} | ${e(w.maxAbs)}, ${e(w.relToScale)}` : `${head}FAILED: ${r.error}`);
  }
  writeJson({ adapter, date, strategies, ...(unchecked ? { unchecked } : {}), rows });
  destroyDevice();
  const failed = rows.filter((r) => !r.ok).length;
  if (failed) console.error(`f16-check: ${failed} of ${rows.length} products past their f16 bound or failed`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`f16-check: ${err.message}`);
    process.exit(1);
  },
);
