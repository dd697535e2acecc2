/**
 * Test support (not exported from the package): reads the PyTorch fixtures written by
 * `scripts/make_fixtures.py` and checks a module against them: forward outputs, gradients of
 * L = sum_o sum(output_o * R_o) w.r.t. every parameter and float input, and (training mode) the
 * BatchNorm buffers after the step.
 *
 * Tolerance (f32 here against torch's float64): an element passes when
 *   |ours - torch| <= RTOL * |torch| + max(ATOL_FLOOR * max|tensor|, EPS_FLOOR * max|group|)
 * i.e. 1e-4 relative with an absolute floor at 1e-4 of the tensor's own scale (its small elements
 * are sums dominated by the f32 rounding of large terms) and at 1e-6 of the largest value of its
 * group (all outputs, or all gradients, of the mode): a gradient that is exactly 0 in theory (e.g.
 * of BERT's key bias: softmax ignores a constant shift of the scores) is f32 noise at that level.
 * The reported error (`formatParity`) is the worst relative error |ours - torch| / |torch| over the
 * significant elements: |torch| >= 1% of the tensor's scale, in tensors whose scale is above the
 * group floor (a theoretical zero has no meaningful relative error).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tensor, tidy, sum, mul, add, backward, parseSafetensors, type Module, type Tensor, type HostTensor, type SafetensorsFile } from '@fusion/tensor';
import { assertClose } from '@fusion/tensor/testing';

export const RTOL = 1e-4;
export const ATOL_FLOOR = 1e-4;
export const EPS_FLOOR = 1e-6;

export const FIXTURE_DIR = fileURLToPath(new URL('../../fixtures/', import.meta.url));

export interface Fixture {
  name: string;
  file: SafetensorsFile;
  config: Record<string, unknown>;
  modes: string[];
  /** Host tensors of the names under `prefix.` (prefix removed). */
  group(prefix: string): Map<string, HostTensor>;
  read(name: string): HostTensor;
}

export function loadFixture(name: string): Fixture {
  const path = `${FIXTURE_DIR}${name}.safetensors`;
  const file = parseSafetensors(readFileSync(path), path);
  return {
    name,
    file,
    config: JSON.parse(file.metadata.config),
    modes: file.metadata.modes.split(','),
    group(prefix: string) {
      const out = new Map<string, HostTensor>();
      for (const n of file.names()) if (n.startsWith(`${prefix}.`)) out.set(n.slice(prefix.length + 1), file.read(n));
      return out;
    },
    read: (n: string) => file.read(n),
  };
}

export function readJsonFixture<T>(name: string): T {
  return JSON.parse(readFileSync(`${FIXTURE_DIR}${name}`, 'utf8')) as T;
}

/** Largest magnitude of a set of tensors. */
export function scaleOf(...ts: HostTensor[]): number {
  let scale = 0;
  for (const t of ts) for (let i = 0; i < t.data.length; i++) scale = Math.max(scale, Math.abs(t.data[i]));
  return scale;
}

/**
 * Compares ours with torch's under the stated tolerance (`groupScale`: the largest magnitude of
 * the tensor's group); returns the worst relative error.
 */
export function compareWithTorch(actual: ArrayLike<number>, expected: HostTensor, what: string, groupScale = 0): number {
  const scale = scaleOf(expected);
  const atol = Math.max(ATOL_FLOOR * scale, EPS_FLOOR * groupScale, 1e-30);
  assertClose(actual, expected.data, { rtol: RTOL, atol }, what);
  if (scale <= EPS_FLOOR * groupScale) return 0;
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = expected.data[i];
    if (Math.abs(e) >= 1e-2 * scale) worst = Math.max(worst, Math.abs(actual[i] - e) / Math.abs(e));
  }
  return worst;
}

export interface ParityResult {
  /** Worst relative error of any output, per mode. */
  outputs: Record<string, number>;
  /** Worst relative error of any gradient (parameters and inputs), per mode. */
  gradients: Record<string, number>;
  /** Tensors compared. */
  compared: number;
}

export interface ParityCase<M extends Module> {
  fixture: Fixture;
  module: M;
  /** Runs the module on the fixture's inputs (float inputs require grad); returns outputs by fixture name. */
  run(module: M, inputs: Record<string, Tensor>): Record<string, Tensor>;
}

/**
 * Loads the fixture's weights into the module (strictly), then for every mode: forward, compare
 * outputs, backward of the fixture's loss, compare gradients and (training) buffers.
 */
export async function checkParity<M extends Module>(c: ParityCase<M>): Promise<ParityResult> {
  const { fixture, module } = c;
  const result: ParityResult = { outputs: {}, gradients: {}, compared: 0 };
  const params = fixture.group('param');
  const R = fixture.group('R');
  for (const mode of fixture.modes) {
    module.loadStateDict(params);
    for (const p of module.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
    module.train(mode === 'train');
    const gradInputs = new Set([...fixture.group(`${mode}.input_grad`).keys()]);
    const inputs: Record<string, Tensor> = {};
    for (const [name, t] of fixture.group('input')) {
      inputs[name] = tensor(t.data, t.shape, t.data instanceof Int32Array ? 'i32' : 'f32');
      if (gradInputs.has(name)) inputs[name].requiresGrad = true;
    }
    const outputs = c.run(module, inputs);
    let worstOut = 0;
    const expectedOutputs = fixture.group(`${mode}.output`);
    const outScale = scaleOf(...expectedOutputs.values());
    for (const [name, expected] of expectedOutputs) {
      const ours = outputs[name];
      if (!ours) throw new Error(`${fixture.name}/${mode}: no output ${name}`);
      if (ours.shape.join() !== expected.shape.join()) throw new Error(`${fixture.name}/${mode}: output ${name} has shape [${ours.shape}], torch [${expected.shape}]`);
      worstOut = Math.max(worstOut, compareWithTorch(await ours.toArray(), expected, `${fixture.name}/${mode} output ${name}`, outScale));
      result.compared++;
    }
    const loss = tidy(() => {
      let l: Tensor | null = null;
      for (const [name, r] of R) {
        const term = sum(mul(outputs[name], tensor(r.data, r.shape)));
        l = l ? add(l, term) : term;
      }
      return l!;
    });
    backward(loss);
    loss.dispose();
    let worstGrad = 0;
    const expectedGrads = fixture.group(`${mode}.grad`);
    const expectedInputGrads = fixture.group(`${mode}.input_grad`);
    const gradScale = scaleOf(...expectedGrads.values(), ...expectedInputGrads.values());
    for (const [name, p] of module.namedParameters()) {
      const expected = expectedGrads.get(name);
      if (!expected) {
        if (p.grad) throw new Error(`${fixture.name}/${mode}: ${name} got a gradient, torch has none`);
        continue;
      }
      if (!p.grad) throw new Error(`${fixture.name}/${mode}: ${name} got no gradient`);
      worstGrad = Math.max(worstGrad, compareWithTorch(await p.grad.toArray(), expected, `${fixture.name}/${mode} grad of ${name}`, gradScale));
      result.compared++;
    }
    for (const name of expectedGrads.keys()) if (!module.namedParameters().some(([n]) => n === name)) throw new Error(`${fixture.name}: torch has parameter ${name}, the module does not`);
    for (const [name, expected] of expectedInputGrads) {
      const g = inputs[name].grad;
      if (!g) throw new Error(`${fixture.name}/${mode}: input ${name} got no gradient`);
      worstGrad = Math.max(worstGrad, compareWithTorch(await g.toArray(), expected, `${fixture.name}/${mode} grad of input ${name}`, gradScale));
      result.compared++;
    }
    if (mode === 'train') {
      const buffers = new Map(module.namedBuffers());
      for (const [name, expected] of fixture.group('train.state')) {
        const ours = buffers.get(name);
        if (!ours) throw new Error(`${fixture.name}: torch has buffer ${name}, the module does not`);
        const values = await ours.toArray();
        if (expected.data instanceof Int32Array) {
          if (Array.from(values).join() !== Array.from(expected.data).join()) throw new Error(`${fixture.name}/train: buffer ${name} is [${values}], torch [${expected.data}]`);
        } else compareWithTorch(values, expected, `${fixture.name}/train buffer ${name}`);
        result.compared++;
      }
    }
    for (const t of [...Object.values(outputs), ...Object.values(inputs)]) t.dispose();
    result.outputs[mode] = worstOut;
    result.gradients[mode] = worstGrad;
  }
  return result;
}

/** One line for the log: the worst relative errors of a parity run. */
export function formatParity(name: string, r: ParityResult): string {
  const modes = Object.keys(r.outputs).map((m) => `${m}: outputs ${r.outputs[m].toExponential(2)}, gradients ${r.gradients[m].toExponential(2)}`);
  return `${name} vs PyTorch (${r.compared} tensors; worst relative error) ${modes.join('; ')}`;
}
