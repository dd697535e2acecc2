import { describe, expect, it } from 'vitest';
import { reflectSpec, kernelConstants } from './spec.js';
import { shaderSources } from './shaders.generated.js';
import { allSpecs as listSpecs } from './testing.js';

const allSpecs = listSpecs();

describe('kernel specs agree with their WGSL (reflection)', () => {
  it('finds the specs', () => {
    expect(allSpecs.length).toBeGreaterThan(10);
    expect(new Set(allSpecs.map((s) => s.name)).size).toBe(allSpecs.length);
  });

  it('every shader file is used by a spec', () => {
    const used = new Set(allSpecs.map((s) => s.shader));
    expect(Object.keys(shaderSources).filter((f) => !used.has(f as never))).toEqual([]);
  });

  // A spec declares the union of its variants' bindings: a variant may leave some unused (a GEMM
  // without a bias epilogue reads no bias), and every declared binding is read by some variant.
  for (const spec of allSpecs) {
    it.each(Object.keys(spec.variants))(`${spec.name} / %s`, (variant) => {
      const r = reflectSpec(spec, variant);
      const storage = r.bindings.filter((b) => b.kind !== 'uniform');
      for (const b of storage) expect(b.kind === 'read-only-storage' ? spec.inputs : spec.outputs).toContain(b.name);
      if (spec.uniforms.length) {
        expect(r.uniforms?.fields.map((f) => f.name)).toEqual([...spec.uniforms]);
      } else {
        expect(r.uniforms).toBeNull();
      }
      for (const name of Object.keys(kernelConstants(spec, variant))) expect(r.overrides).toContain(name);
    });

    it(`${spec.name}: every declared binding is used by a variant`, () => {
      const used = new Set<string>();
      for (const variant of Object.keys(spec.variants)) for (const b of reflectSpec(spec, variant).bindings) used.add(b.name);
      expect([...spec.inputs, ...spec.outputs].filter((name) => !used.has(name))).toEqual([]);
    });
  }
});
