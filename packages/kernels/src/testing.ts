/** Test support: every KernelSpec this package exports (for the reflection and compile tests). */
import * as kernels from './index.js';
import type { KernelSpec } from './spec.js';

export function allSpecs(): KernelSpec[] {
  return Object.values(kernels).filter(
    (v): v is KernelSpec => typeof v === 'object' && v !== null && 'shader' in v && 'variants' in v && 'entryPoint' in v,
  );
}
