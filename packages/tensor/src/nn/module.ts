/**
 * Module: the base of every layer and model. Parameters, buffers (e.g. BatchNorm's running
 * statistics) and child modules are registered by name in the constructor; names join with dots
 * as in PyTorch (`layer1.0.conv1.weight`), so state dicts map one-to-one onto torchvision and
 * Hugging Face checkpoints. Parameters and buffers are owned by the module (outside any scope)
 * until `dispose()`.
 */
import { Tensor } from '../tensor.js';
import { keep } from '../scope.js';
import { writeTensor } from '../ops/creation.js';
import { fmt, shapeEquals } from '../shape.js';

/** Host data for one state-dict entry. */
export interface HostTensor {
  shape: readonly number[];
  data: Float32Array | Int32Array;
}

export interface LoadReport {
  loaded: string[];
  missing: string[];
  unexpected: string[];
  mismatched: { name: string; expected: readonly number[]; got: readonly number[] }[];
}

export abstract class Module {
  training = true;
  private readonly _params = new Map<string, Tensor>();
  private readonly _buffers = new Map<string, Tensor>();
  private readonly _children = new Map<string, Module>();

  /** Registers a parameter (sets requiresGrad; the module owns it). Returns it. */
  protected param(name: string, t: Tensor): Tensor {
    if (this._params.has(name) || this._buffers.has(name) || this._children.has(name)) throw new Error(`${this.constructor.name}: name ${name} registered twice`);
    t.requiresGrad = true;
    this._params.set(name, keep(t));
    return t;
  }

  /** Registers a buffer: state that is saved and loaded but not trained. Returns it. */
  protected buffer(name: string, t: Tensor): Tensor {
    if (this._params.has(name) || this._buffers.has(name) || this._children.has(name)) throw new Error(`${this.constructor.name}: name ${name} registered twice`);
    this._buffers.set(name, keep(t));
    return t;
  }

  /** Registers a child module. Returns it. */
  protected module<M extends Module>(name: string, m: M): M {
    if (this._params.has(name) || this._buffers.has(name) || this._children.has(name)) throw new Error(`${this.constructor.name}: name ${name} registered twice`);
    this._children.set(name, m);
    return m;
  }

  /** Replaces a registered buffer's tensor (disposing the old one), e.g. after a functional update. */
  protected replaceBuffer(name: string, t: Tensor): void {
    const old = this._buffers.get(name);
    if (!old) throw new Error(`${this.constructor.name}: no buffer ${name}`);
    if (old !== t) old.dispose();
    this._buffers.set(name, keep(t));
  }

  namedChildren(): [string, Module][] {
    return [...this._children];
  }

  /** Every parameter with its dotted name, depth first in registration order. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, p] of this._params) out.push([prefix + n, p]);
    for (const [n, c] of this._children) out.push(...c.namedParameters(`${prefix}${n}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, b] of this._buffers) out.push([prefix + n, b]);
    for (const [n, c] of this._children) out.push(...c.namedBuffers(`${prefix}${n}.`));
    return out;
  }

  /** Number of parameter elements (as torch's sum(p.numel() for p in model.parameters())). */
  parameterCount(): number {
    return this.parameters().reduce((s, p) => s + p.size, 0);
  }

  /** Parameters and buffers by dotted name (the tensors themselves, not copies). */
  stateDict(): Map<string, Tensor> {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Loads host tensors by name. Strict (default): throws listing every missing and unexpected
   * key and every shape mismatch, before writing anything. Non-strict: loads what matches and
   * returns the report of the rest.
   */
  loadStateDict(entries: ReadonlyMap<string, HostTensor> | Record<string, HostTensor>, options: { strict?: boolean } = {}): LoadReport {
    const strict = options.strict ?? true;
    const given = entries instanceof Map ? entries : new Map(Object.entries(entries));
    const own = this.stateDict();
    const report: LoadReport = { loaded: [], missing: [], unexpected: [], mismatched: [] };
    for (const name of own.keys()) if (!given.has(name)) report.missing.push(name);
    for (const [name, value] of given) {
      const t = own.get(name);
      if (!t) report.unexpected.push(name);
      else if (!shapeEquals(t.shape, value.shape) || t.size !== value.data.length) report.mismatched.push({ name, expected: t.shape, got: value.shape });
    }
    if (strict && (report.missing.length || report.unexpected.length || report.mismatched.length)) {
      throw new Error(`${this.constructor.name}.loadStateDict: ${describe(report)}`);
    }
    for (const [name, value] of given) {
      const t = own.get(name);
      if (!t || report.mismatched.some((m) => m.name === name)) continue;
      const data = t.dtype === 'i32' ? Int32Array.from(value.data) : value.data instanceof Float32Array ? value.data : Float32Array.from(value.data);
      writeTensor(t, data);
      report.loaded.push(name);
    }
    return report;
  }

  /** Sets training mode here and in every child (dropout, batch-norm statistics). */
  train(on = true): this {
    this.training = on;
    for (const c of this._children.values()) c.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Frees parameters, gradients and buffers of this module and its children. */
  dispose(): void {
    for (const p of this._params.values()) p.dispose();
    for (const b of this._buffers.values()) b.dispose();
    for (const c of this._children.values()) c.dispose();
  }
}

export function describe(r: LoadReport): string {
  const parts: string[] = [];
  const list = (xs: string[]) => (xs.length > 12 ? `${xs.slice(0, 12).join(', ')}, ... (${xs.length} in all)` : xs.join(', '));
  if (r.missing.length) parts.push(`missing keys: ${list(r.missing)}`);
  if (r.unexpected.length) parts.push(`unexpected keys: ${list(r.unexpected)}`);
  if (r.mismatched.length) parts.push(`shape mismatches: ${r.mismatched.map((m) => `${m.name} expected ${fmt(m.expected)} got ${fmt(m.got)}`).join('; ')}`);
  return parts.join('; ') || 'ok';
}

/** A host tensor from a GPU tensor (for saving). */
export async function toHost(t: Tensor): Promise<HostTensor> {
  return { shape: [...t.shape], data: await t.toArray() };
}

