/**
 * `pnpm bench:f16-check [--json FILE]`: the f16 GEMM kernels against float64, on this adapter,
 * for every 'gemm-f16' strategy it runs (subgroup-matrix where the adapter has tensor cores: the
 * one check of that kernel, which no CPU adapter can run). For each product (matmul at growing K,
 * conv2d forward, dx, dW at ResNet-like shapes) it prints the largest absolute and relative error
 * against the float64 product of the f32 operands, the same against the float64 product of the
 * f16-rounded operands (what the f32 accumulation alone adds), and the worst error as a fraction
 * of the stated bound (f16GemmErrorBound; <= 1 passes). Exits 1 when a bound is exceeded.
 * "/scale" is the largest error over the largest |expected|; "max rel" is elementwise, over
 * elements with |expected| >= 1e-3 of the largest (cancellation makes it large).
 */
import { writeFileSync } from 'node:fs';
import {
  matmulReference, conv2dReference, conv2dBackwardInputReference, conv2dBackwardWeightReference, convOutputSize, GEMM_F16_STRATEGIES,
  type Conv2dGeometry,
} from '@fusion/kernels';
import { init, tensor, matmul, conv2d, backward, forceVariant, adapterFacts, destroyDevice, f16ArrayToF32, f32ArrayToF16 } from '@fusion/tensor';
import { assertWithinF16Bound, randomArray, type F16Error } from '@fusion/tensor/testing';

interface Row {
  strategy: string;
  product: string;
  K: number;
  vsF32Inputs: F16Error;
  vsF16Inputs: F16Error;
}

const abs = (x: ArrayLike<number>) => Float64Array.from(x, Math.abs);
const rounded = (x: Float32Array) => f16ArrayToF32(f32ArrayToF16(x));

/** Errors against float64 of the f32 operands (bounded) and of the f16-rounded operands (measured). */
function compare(actual: ArrayLike<number>, exact: ArrayLike<number>, exactOfRounded: ArrayLike<number>, absProduct: ArrayLike<number>, K: number, what: string) {
  const vsF32Inputs = assertWithinF16Bound(actual, exact, absProduct, K, what);
  // against the rounded operands only the f32 summation remains: a looser bound is not needed,
  // so measure with the same call and report its errors
  const vsF16Inputs = assertWithinF16Bound(actual, exactOfRounded, absProduct, K, `${what} (f16-rounded operands)`);
  return { vsF32Inputs, vsF16Inputs };
}

async function checkMatmul(strategy: string, M: number, K: number, N: number): Promise<Row> {
  const a = randomArray(M * K, 1, -2, 2);
  const b = randomArray(K * N, 2, -2, 2);
  const ta = tensor(a, [M, K], 'f16');
  const tb = tensor(b, [K, N], 'f16');
  const c = matmul(ta, tb);
  const out = await c.toArray();
  for (const t of [ta, tb, c]) t.dispose();
  const errs = compare(out, matmulReference(a, b, 1, M, K, N), matmulReference(rounded(a), rounded(b), 1, M, K, N), matmulReference(abs(a), abs(b), 1, M, K, N), K, `matmul ${M}x${K}x${N}`);
  return { strategy, product: `matmul ${M}x${K}x${N}`, K, ...errs };
}

async function checkConv(strategy: string, g: Conv2dGeometry, pad: number): Promise<Row[]> {
  const x = randomArray(g.images * g.cIn * g.inH * g.inW, 3, -2, 2);
  const w = randomArray(g.cOut * g.cIn * g.kH * g.kW, 4);
  const dy = randomArray(g.images * g.cOut * g.outH * g.outW, 5);
  const tx = tensor(x, [g.images, g.cIn, g.inH, g.inW], 'f16');
  const tw = tensor(w, [g.cOut, g.cIn, g.kH, g.kW], 'f16');
  tx.requiresGrad = true;
  tw.requiresGrad = true;
  const y = conv2d(tx, tw, null, { padding: pad });
  const tdy = tensor(dy, y.shape);
  const fwd = await y.toArray();
  backward(y, { grad: tdy });
  const dx = await tx.grad!.toArray();
  const dw = await tw.grad!.toArray();
  for (const t of [tx, tw, y, tdy]) t.dispose();
  const [rx, rw, rdy] = [rounded(x), rounded(w), rounded(dy)];
  const name = `conv ${g.images}x${g.cIn}x${g.inH}x${g.inW} k${g.kH} -> ${g.cOut}`;
  const kF = g.cIn * g.kH * g.kW;
  const kI = g.cOut * g.kH * g.kW;
  const kW = g.images * g.outH * g.outW;
  return [
    { strategy, product: `${name} forward`, K: kF, ...compare(fwd, conv2dReference(x, w, null, g), conv2dReference(rx, rw, null, g), conv2dReference(abs(x), abs(w), null, g), kF, `${name} forward`) },
    { strategy, product: `${name} dx`, K: kI, ...compare(dx, conv2dBackwardInputReference(dy, w, g), conv2dBackwardInputReference(rdy, rw, g), conv2dBackwardInputReference(abs(dy), abs(w), g), kI, `${name} dx`) },
    { strategy, product: `${name} dW`, K: kW, ...compare(dw, conv2dBackwardWeightReference(dy, x, g), conv2dBackwardWeightReference(rdy, rx, g), conv2dBackwardWeightReference(abs(dy), abs(x), g), kW, `${name} dW`) },
  ];
}

function geometry(images: number, cIn: number, size: number, cOut: number, k: number, pad: number): Conv2dGeometry {
  const out = convOutputSize(size, k, 1, pad, 1);
  return { images, cIn, inH: size, inW: size, cOut, kH: k, kW: k, outH: out, outW: out, strideH: 1, strideW: 1, padH: pad, padW: pad, dilH: 1, dilW: 1 };
}

async function main(): Promise<void> {
  const rt = await init();
  const facts = adapterFacts();
  if (!facts.shaderF16) throw new Error(`the adapter (${rt.gpu.info.description}) has no shader-f16: no f16 GEMM to check`);
  const strategies = GEMM_F16_STRATEGIES.filter((s) => s !== 'subgroup-matrix' || facts.subgroupMatrixF16);
  console.log(`f16 GEMM kernels against float64 on ${rt.gpu.info.description}; strategies: ${strategies.join(', ')}${facts.subgroupMatrixF16 ? '' : ' (no subgroup matrices here: subgroup-matrix unverified)'}`);
  const rows: Row[] = [];
  for (const strategy of strategies) {
    forceVariant('gemm-f16', strategy);
    rows.push(await checkMatmul(strategy, 67, 64, 45), await checkMatmul(strategy, 129, 1024, 66), await checkMatmul(strategy, 64, 4096, 33));
    rows.push(...(await checkConv(strategy, geometry(2, 32, 14, 48, 3, 1), 1)));
    forceVariant('gemm-f16', null);
  }
  const e = (x: number) => x.toExponential(2);
  console.log(`${'strategy'.padEnd(16)} ${'product'.padEnd(42)} ${'K'.padStart(5)}  max abs    /scale     max rel    of bound | f16-rounded inputs: max abs, /scale`);
  for (const r of rows) {
    const v = r.vsF32Inputs;
    console.log(`${r.strategy.padEnd(16)} ${r.product.padEnd(42)} ${String(r.K).padStart(5)}  ${e(v.maxAbs)}  ${e(v.relToScale)}  ${e(v.maxRel)}  ${v.worstOfBound.toFixed(3).padStart(8)} | ${e(r.vsF16Inputs.maxAbs)}, ${e(r.vsF16Inputs.relToScale)}`);
  }
  const i = process.argv.indexOf('--json');
  if (i >= 0 && process.argv[i + 1]) {
    writeFileSync(process.argv[i + 1], `${JSON.stringify({ adapter: rt.gpu.info.description, date: new Date().toISOString(), rows }, null, 2)}\n`);
    console.log(`wrote ${process.argv[i + 1]}`);
  }
  destroyDevice();
}

main().catch((err: Error) => {
  console.error(`f16-check: ${err.message}`);
  process.exit(1);
});
