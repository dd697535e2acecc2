/**
 * Sliding-window geometry shared by the convolution and pooling ops: `number | [h, w]` options,
 * output sizes, and the checks (with both shapes in the message) that run before any dispatch.
 */
import { convOutputSize } from '@fusion/kernels';
import { fmt } from '../shape.js';

/** A size given once for both spatial axes, or as [h, w]. */
export type Pair = number | readonly [number, number];

/** [h, w] of a Pair, checked to be integers >= min. */
export function pair(v: Pair, name: string, context: string, min: number): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (p.length !== 2 || !p.every((x) => Number.isInteger(x) && x >= min)) {
    throw new Error(`${context}: ${name} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p;
}

export interface Window {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  out: [number, number];
}

/**
 * Output size of a window sliding over (H, W); throws when the (dilated) kernel is larger than the
 * padded input. `input` is the full input shape, for the message.
 */
export function slideWindow(input: readonly number[], kernel: [number, number], stride: [number, number], padding: [number, number], dilation: [number, number], context: string): Window {
  const [h, w] = [input[input.length - 2], input[input.length - 1]];
  const span = [dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1];
  const padded = [h + 2 * padding[0], w + 2 * padding[1]];
  if (span[0] > padded[0] || span[1] > padded[1]) {
    throw new Error(
      `${context}: kernel ${kernel[0]}x${kernel[1]}${dilation[0] > 1 || dilation[1] > 1 ? ` (dilation ${dilation.join('x')}: spans ${span.join('x')})` : ''} ` +
      `is larger than the padded input ${padded[0]}x${padded[1]} (input ${fmt(input)}, padding ${padding.join('x')})`,
    );
  }
  const out: [number, number] = [
    convOutputSize(h, kernel[0], stride[0], padding[0], dilation[0]),
    convOutputSize(w, kernel[1], stride[1], padding[1], dilation[1]),
  ];
  return { kernel, stride, padding, dilation, out };
}
