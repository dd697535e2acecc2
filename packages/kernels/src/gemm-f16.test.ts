/**
 * The f16 GEMM specs without a GPU: the subgroup-matrix kernel reflects (through
 * reflectableSource) to the same bindings and uniforms as the other f16 entry points, declares the
 * features it needs, and uses the current (non-deprecated) forms of Dawn's subgroup-matrix
 * builtins: the majorness as a template argument, not a boolean argument. It cannot be compiled
 * here (no CPU adapter offers subgroup matrices): unverified until a GPU run.
 */
import { describe, expect, it } from 'vitest';
import { MATMUL_F16_KERNELS, CONV2D_F16_KERNELS, f16GemmErrorBound } from './gemm-f16.js';
import { reflectSpec, kernelSource } from './spec.js';
import { reflectableSource } from './reflect.js';
import { shaderSources } from './shaders.generated.js';

describe('f16 GEMM specs', () => {
  it('the subgroup-matrix specs reflect like the tiled ones and name the features they need', () => {
    const pairs = [
      [MATMUL_F16_KERNELS['subgroup-matrix'], MATMUL_F16_KERNELS.tiled, 'nt'],
      [CONV2D_F16_KERNELS['subgroup-matrix'].forward, CONV2D_F16_KERNELS.tiled.forward, 'forward'],
      [CONV2D_F16_KERNELS['subgroup-matrix'].backward, CONV2D_F16_KERNELS.tiled.backward, 'weight'],
    ] as const;
    for (const [sm, tiled, variant] of pairs) {
      const a = reflectSpec(sm, variant);
      const b = reflectSpec(tiled, variant);
      expect(a.bindings).toEqual(b.bindings);
      expect(a.uniforms).toEqual(b.uniforms);
      expect(a.workgroupSize).toEqual([128, 1, 1]);
      expect(sm.requires).toEqual(['shader-f16', 'subgroups', 'chromium-experimental-subgroup-matrix']);
      expect(tiled.requires).toEqual(['shader-f16']);
      expect(kernelSource(sm, variant)).toMatch(/^enable f16;$/m);
    }
  });

  it('uses the current subgroup-matrix builtins (majorness template argument, not the deprecated boolean)', () => {
    const source = shaderSources.gemm_f16_subgroup_matrix;
    const loads = source.match(/subgroupMatrixLoad<[^(]*\(/g) ?? [];
    const stores = source.match(/subgroupMatrixStore[^(]*\(/g) ?? [];
    expect(loads.length).toBe(4);
    expect(stores.length).toBe(4);
    for (const l of loads) expect(l).toMatch(/^subgroupMatrixLoad<subgroup_matrix_(left|right)<f16, 16, 16>, (row|col)_major>\($/);
    for (const s of stores) expect(s).toBe('subgroupMatrixStore<row_major>(');
    expect(source).not.toMatch(/subgroupMatrix(Load|Store)[^;]*, (true|false),/);
    expect(source).toMatch(/^diagnostic\(off, chromium\.subgroup_matrix_uniformity\);$/m);
  });

  it('reflectableSource changes only sources that enable subgroup matrices', () => {
    expect(reflectableSource(shaderSources.gemm_f16)).toBe(shaderSources.gemm_f16);
    const rewritten = reflectableSource(shaderSources.gemm_f16_subgroup_matrix);
    expect(rewritten).not.toMatch(/subgroup_matrix_(left|right|result)</);
    expect(rewritten).toContain('subgroupMatrixMultiplyAccumulate(a0, b0, c00)');
  });

  it('states the f16 error bound: 2 u16 + u16^2 + gamma_K times sum |a||b|', () => {
    const u16 = 2 ** -11;
    const u32 = 2 ** -24;
    expect(f16GemmErrorBound(1024, 1)).toBeCloseTo(2 * u16 + u16 ** 2 + (1024 * u32) / (1 - 1024 * u32), 15);
    expect(f16GemmErrorBound(64, 0)).toBe(0);
  });
});
