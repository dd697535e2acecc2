export { Module, describe as describeLoadReport, toHost, type HostTensor, type LoadReport } from './module.js';
export { Linear } from './linear.js';
export { Dropout } from './dropout.js';
export * as init from './init.js';
