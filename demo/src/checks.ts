/**
 * The self-check page: matmul and conv2d, forward and backward, on the page's WebGPU against the
 * float64 CPU references of @fusion/kernels, on shapes that fit no tile, for every GEMM variant
 * this adapter runs (forced through the variant table), with the tolerances of the Node tests
 * (`assertClose`). A check passes when every element is within atol + rtol * |expected|. Runs on
 * load (unless `?manual`); `window.fusionChecks.run()` runs it again and resolves to the results.
 */
import {
  conv2dReference, conv2dBackwardInputReference, conv2dBackwardWeightReference, convOutputSize, matmulReference, GEMM_STRATEGIES, type Conv2dGeometry,
} from '@fusion/kernels';
import { init, tensor, matmul, conv2d, backward, hasSubgroupGemm, withVariant, memory, type Tensor } from '@fusion/tensor';
import { assertClose, randomArray } from '@fusion/tensor/testing';
import { h, errorMessage } from './dom.js';

export interface CheckResult {
  name: string;
  variant: string;
  /** Largest |actual - expected| over the checked outputs (the leak check: tensors left alive). */
  maxAbsError: number;
  passed: boolean;
  error?: string;
}

declare global {
  interface Window {
    fusionChecks: { run(): Promise<CheckResult[]>; results?: CheckResult[]; adapter?: string };
  }
}

const TOL = { rtol: 1e-4, atol: 1e-4 };

function transposeHost(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j];
  return out;
}

/** Largest absolute difference (the report's number; assertClose decides pass or fail). */
function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** C = A B and its gradients dA = G B^T, dB = A^T G for a random G. Shape: (M, K) @ (K, N). */
async function checkMatmul(M: number, K: number, N: number, seed: number): Promise<number> {
  const a = randomArray(M * K, seed);
  const b = randomArray(K * N, seed + 1);
  const g = randomArray(M * N, seed + 2);
  const ta = tensor(a, [M, K]);
  const tb = tensor(b, [K, N]);
  ta.requiresGrad = true;
  tb.requiresGrad = true;
  const c = matmul(ta, tb);
  const tg = tensor(g, [M, N]);
  backward(c, { grad: tg });
  const results: [Float32Array, Float64Array, string][] = [
    [(await c.toArray()) as Float32Array, matmulReference(a, b, 1, M, K, N), 'forward'],
    [(await ta.grad!.toArray()) as Float32Array, matmulReference(g, transposeHost(b, K, N), 1, M, N, K), 'dA'],
    [(await tb.grad!.toArray()) as Float32Array, matmulReference(transposeHost(a, M, K), g, 1, K, M, N), 'dB'],
  ];
  for (const t of [ta, tb, c, tg] as Tensor[]) t.dispose();
  let worst = 0;
  for (const [actual, expected, what] of results) {
    assertClose(actual, expected, TOL, `matmul ${M}x${K}x${N} ${what}`);
    worst = Math.max(worst, maxAbs(actual, expected));
  }
  return worst;
}

interface ConvCase { images: number; cIn: number; h: number; w: number; cOut: number; k: [number, number]; stride: [number, number]; padding: [number, number]; dilation: [number, number] }

/** conv2d forward and the gradients of input, weight and bias against the references. */
async function checkConv(t: ConvCase, seed: number): Promise<number> {
  const g: Conv2dGeometry = {
    images: t.images, cIn: t.cIn, inH: t.h, inW: t.w, cOut: t.cOut, kH: t.k[0], kW: t.k[1],
    outH: convOutputSize(t.h, t.k[0], t.stride[0], t.padding[0], t.dilation[0]), outW: convOutputSize(t.w, t.k[1], t.stride[1], t.padding[1], t.dilation[1]),
    strideH: t.stride[0], strideW: t.stride[1], padH: t.padding[0], padW: t.padding[1], dilH: t.dilation[0], dilW: t.dilation[1],
  };
  const xData = randomArray(t.images * t.cIn * t.h * t.w, seed);
  const wData = randomArray(t.cOut * t.cIn * t.k[0] * t.k[1], seed + 1);
  const bData = randomArray(t.cOut, seed + 2);
  const x = tensor(xData, [t.images, t.cIn, t.h, t.w]);
  const w = tensor(wData, [t.cOut, t.cIn, t.k[0], t.k[1]]);
  const b = tensor(bData, [t.cOut]);
  for (const p of [x, w, b]) p.requiresGrad = true;
  const y = conv2d(x, w, b, { stride: t.stride, padding: t.padding, dilation: t.dilation });
  const dyData = randomArray(y.size, seed + 3);
  const dy = tensor(dyData, y.shape);
  backward(y, { grad: dy });
  const db = new Float64Array(t.cOut);
  const pixels = g.outH * g.outW;
  for (let i = 0; i < dyData.length; i++) db[Math.floor(i / pixels) % t.cOut] += dyData[i];
  const results: [Float32Array, Float64Array, string][] = [
    [(await y.toArray()) as Float32Array, conv2dReference(xData, wData, bData, g), 'forward'],
    [(await x.grad!.toArray()) as Float32Array, conv2dBackwardInputReference(dyData, wData, g), 'd input'],
    [(await w.grad!.toArray()) as Float32Array, conv2dBackwardWeightReference(dyData, xData, g), 'd weight'],
    [(await b.grad!.toArray()) as Float32Array, db, 'd bias'],
  ];
  for (const p of [x, w, b, y, dy]) p.dispose();
  let worst = 0;
  for (const [actual, expected, what] of results) {
    assertClose(actual, expected, TOL, `conv2d ${what}`);
    worst = Math.max(worst, maxAbs(actual, expected));
  }
  return worst;
}

const conv = (images: number, cIn: number, hh: number, w: number, cOut: number, k: [number, number], stride: [number, number], padding: [number, number], dilation: [number, number] = [1, 1]): ConvCase =>
  ({ images, cIn, h: hh, w, cOut, k, stride, padding, dilation });

const CHECKS: { name: string; run: (seed: number) => Promise<number> }[] = [
  { name: 'matmul 33x17x65 + backward', run: (s) => checkMatmul(33, 17, 65, s) },
  { name: 'matmul 70x129x3 + backward', run: (s) => checkMatmul(70, 129, 3, s) },
  { name: 'matmul 97x40x130 + backward', run: (s) => checkMatmul(97, 40, 130, s) },
  { name: 'conv2d 3x3 s1 p1, 2x3x7x9 -> 5 + backward', run: (s) => checkConv(conv(2, 3, 7, 9, 5, [3, 3], [1, 1], [1, 1]), s) },
  { name: 'conv2d 3x3 s2 p1, 1x4x11x8 -> 6 + backward', run: (s) => checkConv(conv(1, 4, 11, 8, 6, [3, 3], [2, 2], [1, 1]), s) },
  { name: 'conv2d 7x7 s2 p3 (ResNet stem), 1x3x19x17 -> 10 + backward', run: (s) => checkConv(conv(1, 3, 19, 17, 10, [7, 7], [2, 2], [3, 3]), s) },
  { name: 'conv2d 3x3 dilation 2, 2x17x6x5 -> 19 + backward', run: (s) => checkConv(conv(2, 17, 6, 5, 19, [3, 3], [1, 1], [2, 2], [2, 2]), s) },
  { name: 'conv2d 1x1 s2 (downsample), 2x6x9x9 -> 4 + backward', run: (s) => checkConv(conv(2, 6, 9, 9, 4, [1, 1], [2, 2], [0, 0]), s) },
];

async function runChecks(): Promise<CheckResult[]> {
  await init();
  const variants = GEMM_STRATEGIES.filter((s) => s !== 'subgroup' || hasSubgroupGemm());
  const results: CheckResult[] = [];
  const live = memory().liveTensors;
  for (const variant of variants) {
    for (const [i, c] of CHECKS.entries()) {
      try {
        const err = await withVariant('gemm', variant, () => c.run(100 * i + 7));
        results.push({ name: c.name, variant, maxAbsError: err, passed: true });
      } catch (e) {
        results.push({ name: c.name, variant, maxAbsError: NaN, passed: false, error: errorMessage(e) });
      }
    }
  }
  const leaked = memory().liveTensors - live;
  results.push({ name: 'no tensor left alive', variant: '-', maxAbsError: leaked, passed: leaked === 0, ...(leaked ? { error: `${leaked} tensors alive` } : {}) });
  return results;
}

async function main(): Promise<void> {
  const section = document.getElementById('checks')!;
  const adapter = document.getElementById('adapter')!;
  window.fusionChecks = {
    run: async () => {
      section.dataset.state = 'running';
      const results = await runChecks();
      window.fusionChecks.results = results;
      section.replaceChildren(h('table', { class: 'checks' },
        h('thead', {}, h('tr', {}, h('th', {}, 'check'), h('th', {}, 'GEMM variant'), h('th', {}, 'max |error|'), h('th', {}, 'result'))),
        h('tbody', {}, ...results.map((r) => h('tr', { class: r.passed ? 'pass' : 'fail' },
          h('td', {}, r.name), h('td', {}, r.variant), h('td', {}, r.variant === '-' ? `${r.maxAbsError} alive` : Number.isFinite(r.maxAbsError) ? r.maxAbsError.toExponential(1) : '-'),
          h('td', {}, r.passed ? 'pass' : `FAIL: ${r.error}`)))),
      ), h('p', { class: 'hint' }, `Tolerance: |actual − expected| ≤ ${TOL.atol} + ${TOL.rtol}·|expected| per element, as in the Node tests.`));
      section.dataset.state = results.every((r) => r.passed) ? 'passed' : 'failed';
      return results;
    },
  };
  try {
    const info = (await init()).gpu.info;
    adapter.textContent = `WebGPU adapter: ${[info.vendor, info.architecture, info.description].filter(Boolean).join(' · ')}`;
    window.fusionChecks.adapter = adapter.textContent;
  } catch (e) {
    adapter.textContent = errorMessage(e);
    section.dataset.state = 'no-webgpu';
    return;
  }
  if (!new URLSearchParams(location.search).has('manual')) await window.fusionChecks.run();
}

void main();
