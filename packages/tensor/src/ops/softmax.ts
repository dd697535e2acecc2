/**
 * softmax and logSoftmax along an axis, with dedicated backward kernels:
 *   d softmax:      dx = y (g - sum(g y))
 *   d log-softmax:  dx = g - exp(y) sum(g)
 * The kernels read a contiguous [outer, len, inner] view, so any axis works without a transpose.
 */
import { softmaxLinesKernel, softmaxRowsWorkgroupKernel, softmaxRowsVec4Kernel, softmaxBackwardKernel } from '@fusion/kernels';
import { Tensor } from '../tensor.js';
import { runtime } from '../gpu/runtime.js';
import { chooseVariant } from '../gpu/variants.js';
import { checkDType } from '../dtype.js';
import { normAxis, numel } from '../shape.js';
import { needsGrad, record, saved } from '../autograd/graph.js';
import { contiguousCopy } from './copy.js';

type Kind = 'softmax' | 'log_softmax';

declare module '../autograd/rules.js' {
  interface OpContexts {
    softmax: { y: Tensor; axis: number };
    log_softmax: { y: Tensor; axis: number };
  }
}

function geometry(x: Tensor, axis: number): { outer: number; len: number; inner: number } {
  return { outer: numel(x.shape.slice(0, axis)), len: x.shape[axis], inner: numel(x.shape.slice(axis + 1)) };
}

function forward(kind: Kind, x: Tensor, axis: number): Tensor {
  checkDType(x.dtype, 'f32', kind);
  const ax = normAxis(axis, x.rank, kind);
  const src = x.isContiguous ? x : contiguousCopy(x);
  const out = Tensor.empty(x.shape, 'f32', kind);
  const g = geometry(x, ax);
  if (x.size > 0) {
    const rt = runtime();
    const rows = g.inner === 1;
    const vec4Ok = rows && g.len % 4 === 0 && src.offset % 4 === 0;
    const wanted = chooseVariant('softmax', g.outer, g.len, g.inner).variant;
    // 'lines' reads any layout; the other two need rows (and vec4 aligned rows)
    const choice = (wanted === 'vec4' && !vec4Ok) || (wanted === 'workgroup' && !rows) ? 'lines' : wanted;
    const uniforms = { ...g, x_offset: src.offset };
    if (choice === 'vec4') rt.run(softmaxRowsVec4Kernel, kind, { buffers: { x4: src.buffer, out4: out.buffer }, uniforms });
    else rt.run(choice === 'workgroup' ? softmaxRowsWorkgroupKernel : softmaxLinesKernel, kind, { buffers: { x: src.buffer, out: out.buffer }, uniforms });
  }
  if (src !== x) src.dispose();
  if (needsGrad(x)) record(kind, [x], { y: saved(out), axis: ax }, out);
  return out;
}

/** exp(x - max) / sum(exp(x - max)) along `axis` (default last). */
export const softmax = (x: Tensor, axis = -1) => forward('softmax', x, axis);
/** x - max - log(sum(exp(x - max))) along `axis` (default last). */
export const logSoftmax = (x: Tensor, axis = -1) => forward('log_softmax', x, axis);

function backward(kind: Kind, g: Tensor, c: { y: Tensor; axis: number }): Tensor[] {
  const gc = g.isContiguous && g.offset === 0 ? g : contiguousCopy(g);
  const dx = Tensor.empty(c.y.shape, 'f32', `${kind}_backward`);
  runtime().run(softmaxBackwardKernel, kind, {
    buffers: { x: c.y.buffer, g: gc.buffer, out: dx.buffer },
    uniforms: { ...geometry(c.y, c.axis), x_offset: c.y.offset },
  });
  if (gc !== g) gc.dispose();
  return [dx];
}

export const softmaxGrads = {
  softmax: (g: Tensor, c: { y: Tensor; axis: number }) => backward('softmax', g, c),
  log_softmax: (g: Tensor, c: { y: Tensor; axis: number }) => backward('log_softmax', g, c),
};
