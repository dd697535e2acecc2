import { init, tensor, matmul, transpose, forceVariant } from '@fusion/tensor';
await init();
const [M, K, N] = [256, 24, 128];
for (const v of ['blocked8', 'blocked4'] as const) {
  forceVariant('gemm', v);
  for (const layout of ['nn', 'nt', 'tn', 'tt']) {
    const ta = layout[0] === 't' ? tensor(new Float32Array(M * K).fill(1), [K, M]) : tensor(new Float32Array(M * K).fill(1), [M, K]);
    const tb = layout[1] === 't' ? tensor(new Float32Array(K * N).fill(1), [N, K]) : tensor(new Float32Array(K * N).fill(1), [K, N]);
    for (let r = 0; r < 2; r++) {
      const t = performance.now();
      const c = matmul(layout[0] === 't' ? transpose(ta) : ta, layout[1] === 't' ? transpose(tb) : tb);
      await c.toArray();
      console.log(v, layout, r, (performance.now() - t).toFixed(0), 'ms');
      c.dispose();
    }
  }
}
