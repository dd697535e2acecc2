import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { softmaxReference } from '@fusion/kernels';
import { init, runtime, tensor, softmax, logSoftmax, permute, Tensor, mul, forceVariant } from '../index.js';
import { assertClose, gradcheck, randomArray } from '../testing.js';

beforeAll(async () => {
  await init();
});
afterAll(() => forceVariant('softmax', null));

describe.each(['lines', 'workgroup', 'vec4'] as const)('softmax (%s kernel)', (kernel) => {
  beforeAll(() => forceVariant('softmax', kernel));
  it.each([[5, 7], [3, 300], [1, 1], [17, 1000], [6, 12], [3, 1024]])('rows %i x %i, softmax and log-softmax', async (rows, len) => {
    const data = randomArray(rows * len, rows + len, -10, 10);
    const x = tensor(data, [rows, len]);
    const y = softmax(x);
    assertClose(await y.toArray(), softmaxReference(data, rows, len), { rtol: 1e-5, atol: 1e-7 }, 'softmax');
    const l = logSoftmax(x);
    assertClose(await l.toArray(), softmaxReference(data, rows, len, true), { rtol: 1e-5, atol: 1e-5 }, 'logSoftmax');
    for (const t of [x, y, l]) t.dispose();
  });
});

describe('softmax kernel choice', () => {
  it('reads rows as vec4 when their length and offset divide by 4 (CPU adapters), else per element', async () => {
    forceVariant('softmax', null);
    const kernelFor = async (rows: number, len: number) => {
      const x = tensor(randomArray(rows * len, 3), [rows, len]);
      let y: Tensor | null = null;
      const k = await runtime().profile(() => {
        y = softmax(x);
      });
      for (const t of [x, y!]) t.dispose();
      return k.map((e) => e.kernel);
    };
    const software = runtime().gpu.info.isSoftware;
    expect(await kernelFor(4, 64)).toEqual([software ? 'softmax_rows_vec4/softmax' : 'softmax_lines/softmax']);
    expect(await kernelFor(4, 63)).toEqual(['softmax_lines/softmax']);
  });
});

describe('softmax along a middle axis and gradients', () => {
  it('axis 1 of [2, 5, 3] equals softmax of the permuted rows', async () => {
    const data = randomArray(30, 9, -3, 3);
    const x = tensor(data, [2, 5, 3]);
    const y = softmax(x, 1);
    const moved = permute(y, [0, 2, 1]);
    const rows: number[] = [];
    for (let b = 0; b < 2; b++) for (let k = 0; k < 3; k++) for (let i = 0; i < 5; i++) rows.push(data[b * 15 + i * 3 + k]);
    assertClose(await moved.toArray(), softmaxReference(rows, 6, 5), { rtol: 1e-5, atol: 1e-7 }, 'softmax axis 1');
    for (const t of [x, y, moved]) t.dispose();
  });
  it('finite differences', async () => {
    await gradcheck((x: Tensor) => softmax(x), [{ data: randomArray(12, 1, -2, 2), shape: [3, 4] }]);
    await gradcheck((x: Tensor) => logSoftmax(x, 0), [{ data: randomArray(12, 2, -2, 2), shape: [3, 4] }]);
    await gradcheck((x: Tensor) => mul(softmax(x, 1), 3), [{ data: randomArray(24, 3, -2, 2), shape: [2, 3, 4] }]);
  });
});
