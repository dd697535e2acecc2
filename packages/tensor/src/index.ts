/**
 * @fusion/tensor: GPU tensors with autograd on WebGPU (Dawn in Node, the browser's own in a page).
 * Await `init()` once, then create tensors and run ops; free memory with `dispose()` or `tidy()`.
 * The same exports everywhere: the Node-only pieces (Dawn, the tuning cache file, safetensors
 * files) come through package.json `imports`, whose `browser` condition gives a page their
 * browser counterparts.
 */
import './methods.js';

export { init, runtime, Runtime, type RegionTime } from './gpu/runtime.js';
export { gpuWait } from './gpu/wait.js';
export { DeviceLimitError, bindingLimit, formatBytes, setBindingLimitForTests, type BufferLimit } from './gpu/limits.js';
export { DeviceLostError } from './gpu/device-lost.js';
export { gpu, destroyDevice, dawnFlagsFor, deviceOptionsFromEnv, SETUP_HINT, type DeviceOptions, type DeviceInfo } from './gpu/device.js';
export { WEBGPU_BROWSERS } from './gpu/webgpu-browsers.js';
export { Tensor } from './tensor.js';
export { bytesPerElement, type DType } from './dtype.js';
export { type Shape, numel, broadcastShapes } from './shape.js';
export { tidy, keep } from './scope.js';
export { noGrad, enableGrad, isGradEnabled } from './autograd/graph.js';
export { backward, type BackwardOptions } from './autograd/backward.js';
export type { OpName } from './autograd/rules.js';
export { memory, type MemoryInfo } from './memory.js';
export * from './ops/creation.js';
export * from './ops/unary.js';
export * from './ops/binary.js';
export * from './ops/reduce.js';
export * from './ops/shape.js';
export { contiguous, copyInto } from './ops/copy.js';
export { where } from './ops/where.js';
export { matmul, gemmChoice, hasSubgroupGemm } from './ops/matmul.js';
export { autocast, isAutocastEnabled, mixedPrecisionUnavailable } from './autocast.js';
export { LossScaler, type LossScalerOptions, type LossScalerState, type PendingCheck } from './loss-scaler.js';
export { linear } from './ops/linear.js';
export {
  VARIANT_KERNELS, chooseVariant, heuristicVariant, forceVariant, forcedVariant, withVariant, shapeClass, describeShapeClass,
  applyTuning, tunedVariants, tuningMessage, adapterFacts, recordVariantLookups, recordedVariantLookups, setTuningSource,
  type VariantKernel, type VariantOf, type VariantChoice, type VariantSource, type TunedVariant, type RecordedLookup, type AdapterFacts, type TuningSource,
} from './gpu/variants.js';
export {
  TUNE_CACHE_FORMAT, dawnVersion, tuneCacheKey, tuneCachePath, readTuneCache, readTuneCacheFile, writeTuneCache, useTuneCache,
  type TuneCacheEntry, type TuneCacheAdapter, type TuneCacheFile,
} from '#tune-cache';
export { conv2d, conv2dBackwardInput, conv2dBackwardWeight, setConv2dSplitK, type Conv2dOptions } from './ops/conv2d.js';
export type { Pair } from './ops/window.js';
export { maxPool2d, avgPool2d, globalAvgPool2d, type MaxPool2dOptions, type AvgPool2dOptions } from './ops/pool.js';
export { softmax, logSoftmax } from './ops/softmax.js';
export { attention, attentionWeights, attentionBackwardPath, setAttentionSplits, type AttentionOptions } from './ops/attention.js';
export { Generator, manualSeed, getDefaultGenerator, rand, randn, bernoulli, dropout, type GeneratorState } from './ops/random.js';
export { cast, castRaw } from './ops/cast.js';
export { batchNorm2d, type BatchNormOptions, type BatchNormStrategy } from './ops/batchnorm.js';
export { layerNorm, type LayerNormStrategy } from './ops/layernorm.js';
export { embedding, type EmbeddingOptions, type EmbeddingStrategy } from './ops/embedding.js';
export { upsample2x, type UpsampleMode } from './ops/upsample.js';
export { outer } from './ops/outer.js';
export { bceWithLogits, type BceWithLogitsOptions, type BceReduction } from './ops/bce.js';
export { guardFinite, guardState, readGuardState, type GuardReading } from './ops/guard.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export { Module, Linear, Dropout, type HostTensor, type LoadReport } from './nn/index.js';
export { BatchNorm2d, LayerNorm, Embedding } from './nn/index.js';
export { Conv2d, MaxPool2d, AvgPool2d } from './nn/index.js';
export { SGD, Adam, AdamW, Optimizer } from './optim/index.js';
export * from './io/index.js';
