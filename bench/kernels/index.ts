/**
 * Every declared kernel benchmark, in the order the table prints them.
 */
import type { KernelBench } from '../src/declare.js';
import { matmulBench } from './matmul.js';
import { matmulF16Bench, conv2dF16Bench } from './f16.js';
import { conv2dBench, conv2dBackwardInputBench, conv2dBackwardWeightBench } from './conv2d.js';
import { attentionBench, attentionBackwardBench } from './attention.js';
import { layerNormBench, batchNorm2dBench } from './norm.js';
import { softmaxBench } from './softmax.js';
import { geluBench } from './gelu.js';
import { outerBench } from './outer.js';
import { bceWithLogitsBench } from './bce.js';
import { adamBench } from './adam.js';
import { cnnTrainStepBench } from './cnn-step.js';
import { maxPool2dBench, avgPool2dBench, embeddingBench, upsample2xBench, dropoutBench, tanhBench } from './layers.js';

export const kernelBenches: readonly KernelBench[] = [
  matmulBench,
  conv2dBench,
  conv2dBackwardInputBench,
  conv2dBackwardWeightBench,
  matmulF16Bench,
  conv2dF16Bench,
  attentionBench,
  attentionBackwardBench,
  layerNormBench,
  batchNorm2dBench,
  softmaxBench,
  geluBench,
  maxPool2dBench,
  avgPool2dBench,
  embeddingBench,
  upsample2xBench,
  dropoutBench,
  tanhBench,
  outerBench,
  bceWithLogitsBench,
  adamBench,
  cnnTrainStepBench,
];
