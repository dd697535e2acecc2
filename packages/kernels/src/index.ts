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
export * from './softmax.js';
export * from './optim.js';
