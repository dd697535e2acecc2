/**
 * ModuleList: children registered under their indices ('0', '1', ...), as torch's nn.ModuleList
 * and nn.Sequential name them, so `layer1.0.conv1.weight` and `encoder.layer.3.output.dense.bias`
 * come out exactly as in torchvision and Hugging Face state dicts. It holds modules; callers run
 * them (the blocks here take different arguments).
 */
import { Module } from '@fusion/tensor';

export class ModuleList<M extends Module> extends Module {
  readonly items: readonly M[];

  constructor(items: readonly M[]) {
    super();
    this.items = items.map((m, i) => this.module(String(i), m));
  }

  get length(): number {
    return this.items.length;
  }
}
