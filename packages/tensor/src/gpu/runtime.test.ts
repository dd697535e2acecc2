import { beforeAll, describe, expect, it } from 'vitest';
import { bceWithLogitsReference } from '@fusion/kernels';
import { init, tensor, bceWithLogits } from '../index.js';
import { assertClose, randomArray } from '../testing.js';

beforeAll(async () => {
  await init();
});

describe('runtime().run', () => {
  // bceWithLogits without pos_weight and without a gradient leaves a read-only binding (pw) and a
  // writable one (grad) null. They used to share one placeholder buffer, which WebGPU rejects (a
  // writable usage aliased within one dispatch).
  it('binds a distinct placeholder to each ignored binding, read-only and writable alike', async () => {
    const n = 37;
    const xs = randomArray(n, 1, -4, 4);
    const ys = randomArray(n, 2, 0, 1);
    const x = tensor(xs, [n]);
    const y = tensor(ys, [n]);
    expect(x.requiresGrad).toBe(false);
    const loss = bceWithLogits(x, y, { reduction: 'none' });
    assertClose(await loss.toArray(), bceWithLogitsReference(xs, ys).loss, { rtol: 1e-5, atol: 1e-6 });
    for (const t of [x, y, loss]) t.dispose();
  });
});
