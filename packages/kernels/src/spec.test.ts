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

  for (const spec of allSpecs) {
    it.each(Object.keys(spec.variants))(`${spec.name} / %s`, (variant) => {
      const r = reflectSpec(spec, variant);
      const storage = r.bindings.filter((b) => b.kind !== 'uniform');
      expect(storage.filter((b) => b.kind === 'read-only-storage').map((b) => b.name).sort()).toEqual([...spec.inputs].sort());
      expect(storage.filter((b) => b.kind === 'storage').map((b) => b.name).sort()).toEqual([...spec.outputs].sort());
      if (spec.uniforms.length) {
        expect(r.uniforms?.fields.map((f) => f.name)).toEqual([...spec.uniforms]);
      } else {
        expect(r.uniforms).toBeNull();
      }
      for (const name of Object.keys(kernelConstants(spec, variant))) expect(r.overrides).toContain(name);
    });
  }
});
