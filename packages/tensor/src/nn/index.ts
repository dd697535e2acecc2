export { Module, describe as describeLoadReport, toHost, type HostTensor, type LoadReport } from './module.js';
export { Linear } from './linear.js';
export { Dropout } from './dropout.js';
export { Conv2d, type Conv2dModuleOptions } from './conv2d.js';
export { MaxPool2d, AvgPool2d } from './pool.js';
export { BatchNorm2d, type BatchNorm2dOptions } from './batchnorm.js';
export { LayerNorm, type LayerNormOptions } from './layernorm.js';
export { Embedding, type EmbeddingModuleOptions } from './embedding.js';
export * as init from './init.js';
