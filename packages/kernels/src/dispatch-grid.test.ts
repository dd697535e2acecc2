// Every kernel's grid fits the device's per-dimension workgroup limit (65,535) for any single
// size up to 2^30 elements (a 4 GiB f32 buffer), or the kernel takes `wg_base` so the runtime
// splits the grid into repeated dispatches (see GRID_BASE_UNIFORM). Sizes are tried one at a
// time, the others 1, through each spec's own dispatch function and constants.
import { describe, expect, it } from 'vitest';
import { kernelConstants, GRID_BASE_UNIFORM, MAX_WORKGROUPS_PER_DIM } from './spec.js';
import { allSpecs } from './testing.js';

const LARGEST = 2 ** 30;

describe('dispatch grids past the per-dimension limit', () => {
  it('every kernel folds or caps its grid, or splits it through wg_base', () => {
    const overflowing: string[] = [];
    for (const spec of allSpecs()) {
      if (spec.uniforms.includes(GRID_BASE_UNIFORM)) continue;
      for (const variant of Object.keys(spec.variants)) {
        const constants = kernelConstants(spec, variant);
        for (const field of spec.uniforms) {
          const uniforms: Record<string, number> = Object.fromEntries(spec.uniforms.map((f) => [f, 1]));
          uniforms[field] = LARGEST;
          const grid = spec.dispatch(uniforms, constants);
          if (grid.some((n) => n > MAX_WORKGROUPS_PER_DIM)) overflowing.push(`${spec.name}/${variant} with ${field} = 2^30: ${grid.join('x')}`);
        }
      }
    }
    expect(overflowing).toEqual([]);
  });
});
