/**
 * @fusion/kernels: the WGSL kernels as data (specs) and a float64 CPU reference for each.
 * Knows nothing of GPU state or autograd.
 */
export * from './spec.js';
export * from './hooks.js';
export * from './reflect.js';
export { shaderSources, type ShaderName } from './shaders.generated.js';
export * from './elementwise.js';
export * from './math.js';
export * from './random.js';
export * from './reduce.js';
export * from './gemm.js';
export * from './gemm-epilogue.js';
export * from './conv.js';
export * from './gemm-blocked.js';
export * from './gemm-blocked-conv.js';
export * from './gemm-family.js';
export * from './pool.js';
export * from './softmax.js';
export * from './batchnorm.js';
export * from './layernorm.js';
export * from './embedding.js';
export * from './upsample.js';
export * from './outer.js';
export * from './bce.js';
export * from './attention.js';
export * from './optim.js';
export * from './f16.js';
export * from './gemm-f16.js';
export * from './loss-scale.js';
export * from './guard.js';
