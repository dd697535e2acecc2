/**
 * where(cond, a, b): a where cond != 0, else b, with broadcasting of all three.
 * Gradient: d a = where(cond, g, 0), d b = where(cond, 0, g) (summed to each input's shape);
 * cond has none.
 */
import { whereKernel } from '@fusion/kernels';
import { Tensor } from '../tensor.js';
import { checkDType } from '../dtype.js';
import { broadcastShapes } from '../shape.js';
import { launchElementwise } from './launch.js';
import { needsGrad, record, saved } from '../autograd/graph.js';
import { sumToShape } from './reduce.js';
import { zeros } from './creation.js';

declare module '../autograd/rules.js' {
  interface OpContexts {
    where: { cond: Tensor; aShape: readonly number[]; bShape: readonly number[] };
  }
}

export function whereRaw(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  checkDType(cond.dtype, 'f32', 'where (condition)');
  checkDType(a.dtype, 'f32', 'where (a)');
  checkDType(b.dtype, 'f32', 'where (b)');
  const shape = broadcastShapes(broadcastShapes(cond.shape, a.shape, 'where'), b.shape, 'where');
  return launchElementwise(whereKernel, 'default', shape, 'f32', { a, b, c: cond });
}

export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const out = whereRaw(cond, a, b);
  if (needsGrad(a, b)) record('where', [null, a, b], { cond: saved(cond), aShape: a.shape, bShape: b.shape }, out);
  return out;
}

export function whereGrad(g: Tensor, c: { cond: Tensor; aShape: readonly number[]; bShape: readonly number[] }, needs: readonly boolean[]): (Tensor | null)[] {
  const zero = zeros([]);
  return [
    null,
    needs[1] ? sumToShape(whereRaw(c.cond, g, zero), c.aShape) : null,
    needs[2] ? sumToShape(whereRaw(c.cond, zero, g), c.bShape) : null,
  ];
}
