/**
 * Binary elementwise ops with NumPy broadcasting, and their gradient rules (each gradient is
 * summed back to its input's shape over the broadcast dimensions):
 *   d(a + b) = da + db     d(a - b) = da - db     d(a b) = b da + a db
 *   d(a / b) = da / b - (a / b) / b db           d(a^b) = b a^(b-1) da + a^b ln(a) db
 *   d max(a, b) = [a > b] da + [b > a] db, ties split evenly (as PyTorch); min likewise.
 * A number operand becomes a scalar variant of the unary family (no buffer). Comparisons
 * (eq, ne, lt, le, gt, ge) return 0/1 in f32 and have no gradient.
 */
import { binaryKernel, type BinaryOpName } from '@fusion/kernels';
import { Tensor } from '../tensor.js';
import { checkDType } from '../dtype.js';
import { broadcastShapes, shapeEquals } from '../shape.js';
import { launchElementwise } from './launch.js';
import { needsGrad, record, saved } from '../autograd/graph.js';
import { unary, unaryRaw } from './unary.js';
import { sumToShape } from './reduce.js';
import { scalar } from './creation.js';

export type DifferentiableBinary = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';

interface BinaryCtx {
  a?: Tensor;
  b?: Tensor;
  y?: Tensor;
  aShape: readonly number[];
  bShape: readonly number[];
}

declare module '../autograd/rules.js' {
  interface OpContexts extends Record<DifferentiableBinary, BinaryCtx> {}
}

const SAVES: Record<DifferentiableBinary, { a?: true; b?: true; y?: true }> = {
  add: {}, sub: {}, mul: { a: true, b: true }, div: { b: true, y: true }, pow: { a: true, b: true, y: true },
  maximum: { a: true, b: true }, minimum: { a: true, b: true },
};

/** Runs a binary map with broadcasting, without autograd. */
export function binaryRaw(op: BinaryOpName, a: Tensor, b: Tensor): Tensor {
  checkDType(a.dtype, 'f32', `${op} (first operand)`);
  checkDType(b.dtype, 'f32', `${op} (second operand)`);
  const shape = broadcastShapes(a.shape, b.shape, op);
  return launchElementwise(binaryKernel, op, shape, 'f32', { a, b });
}


function binary(op: DifferentiableBinary, a: Tensor, b: Tensor): Tensor {
  const y = binaryRaw(op, a, b);
  if (needsGrad(a, b)) {
    const s = SAVES[op];
    record(op, [a, b], { a: s.a ? saved(a) : undefined, b: s.b ? saved(b) : undefined, y: s.y ? saved(y) : undefined, aShape: a.shape, bShape: b.shape }, y);
  }
  return y;
}

type Operand = Tensor | number;

/** a + b */
export function add(a: Operand, b: Operand): Tensor {
  if (typeof b === 'number') return unary('affine', a as Tensor, 1, b);
  if (typeof a === 'number') return unary('affine', b, 1, a);
  return binary('add', a, b);
}

/** a - b */
export function sub(a: Operand, b: Operand): Tensor {
  if (typeof b === 'number') return unary('affine', a as Tensor, 1, -b);
  if (typeof a === 'number') return unary('affine', b, -1, a);
  return binary('sub', a, b);
}

/** a * b */
export function mul(a: Operand, b: Operand): Tensor {
  if (typeof b === 'number') return unary('affine', a as Tensor, b, 0);
  if (typeof a === 'number') return unary('affine', b, a, 0);
  return binary('mul', a, b);
}

/** a / b */
export function div(a: Operand, b: Operand): Tensor {
  if (typeof b === 'number') return unary('affine', a as Tensor, 1 / b, 0);
  if (typeof a === 'number') return unary('rdiv', b, a);
  return binary('div', a, b);
}

/** a ** b (negative bases need an integer exponent, as in PyTorch) */
export function pow(a: Operand, b: Operand): Tensor {
  if (typeof b === 'number') return unary('pow_scalar', a as Tensor, b);
  if (typeof a === 'number') return unary('rpow', b, a);
  return binary('pow', a, b);
}

function asTensor(v: Operand): Tensor {
  return typeof v === 'number' ? scalar(v) : v;
}

function withScalar(op: DifferentiableBinary, a: Operand, b: Operand): Tensor {
  const ta = asTensor(a);
  const tb = asTensor(b);
  try {
    return binary(op, ta, tb);
  } finally {
    if (ta !== a) ta.dispose();
    if (tb !== b) tb.dispose();
  }
}

export const maximum = (a: Operand, b: Operand) => withScalar('maximum', a, b);
export const minimum = (a: Operand, b: Operand) => withScalar('minimum', a, b);

function compare(op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge', a: Operand, b: Operand): Tensor {
  const ta = asTensor(a);
  const tb = asTensor(b);
  try {
    return binaryRaw(op, ta, tb);
  } finally {
    if (ta !== a) ta.dispose();
    if (tb !== b) tb.dispose();
  }
}

export const eq = (a: Operand, b: Operand) => compare('eq', a, b);
export const ne = (a: Operand, b: Operand) => compare('ne', a, b);
export const lt = (a: Operand, b: Operand) => compare('lt', a, b);
export const le = (a: Operand, b: Operand) => compare('le', a, b);
export const gt = (a: Operand, b: Operand) => compare('gt', a, b);
export const ge = (a: Operand, b: Operand) => compare('ge', a, b);

type BinaryRule = (g: Tensor, c: BinaryCtx, needs: readonly boolean[]) => (Tensor | null)[];

/** Sums a gradient of the broadcast shape back to an input's shape (a new handle when equal). */
function reduceTo(g: Tensor, shape: readonly number[]): Tensor {
  return shapeEquals(g.shape, shape) ? g.view(g.shape, g.strides, g.offset) : sumToShape(g, shape);
}

function tieMask(op: 'gt' | 'lt', a: Tensor, b: Tensor): Tensor {
  // [a op b] + 0.5 [a == b]
  return binaryRaw('add', binaryRaw(op, a, b), unaryRaw('affine', binaryRaw('eq', a, b), 0.5, 0));
}

export const binaryGrads: Record<DifferentiableBinary, BinaryRule> = {
  add: (g, c, n) => [n[0] ? reduceTo(g, c.aShape) : null, n[1] ? reduceTo(g, c.bShape) : null],
  sub: (g, c, n) => [n[0] ? reduceTo(g, c.aShape) : null, n[1] ? reduceTo(unaryRaw('neg', g), c.bShape) : null],
  mul: (g, c, n) => [n[0] ? reduceTo(binaryRaw('mul', g, c.b!), c.aShape) : null, n[1] ? reduceTo(binaryRaw('mul', g, c.a!), c.bShape) : null],
  div: (g, c, n) => [
    n[0] ? reduceTo(binaryRaw('div', g, c.b!), c.aShape) : null,
    n[1] ? reduceTo(unaryRaw('neg', binaryRaw('div', binaryRaw('mul', g, c.y!), c.b!)), c.bShape) : null,
  ],
  pow: (g, c, n) => [
    n[0] ? reduceTo(binaryRaw('mul', g, binaryRaw('mul', c.b!, binaryRaw('pow', c.a!, unaryRaw('affine', c.b!, 1, -1)))), c.aShape) : null,
    n[1] ? reduceTo(binaryRaw('mul', g, binaryRaw('mul', c.y!, unaryRaw('log', c.a!))), c.bShape) : null,
  ],
  maximum: (g, c, n) => [
    n[0] ? reduceTo(binaryRaw('mul', g, tieMask('gt', c.a!, c.b!)), c.aShape) : null,
    n[1] ? reduceTo(binaryRaw('mul', g, tieMask('gt', c.b!, c.a!)), c.bShape) : null,
  ],
  minimum: (g, c, n) => [
    n[0] ? reduceTo(binaryRaw('mul', g, tieMask('lt', c.a!, c.b!)), c.aShape) : null,
    n[1] ? reduceTo(binaryRaw('mul', g, tieMask('lt', c.b!, c.a!)), c.bShape) : null,
  ],
};
