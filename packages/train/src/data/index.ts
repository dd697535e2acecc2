/** The data layer of @fusion/train: samples, the synthetic dataset, image I/O, MagicBrush readers, batching. */
export * from './types.js';
export * from './synthetic.js';
export type { ResolvedSyntheticOptions } from './synthetic-options.js';
export { DEFAULT_COLORS, DEFAULT_KIND_WEIGHTS, DEFAULT_RADII, DEFAULT_SHAPES, SYNTHETIC_SIZE_RANGE, resolveSyntheticOptions } from './synthetic-options.js';
export * from './synthetic-scene.js';
export * from './shapes.js';
export * from './vocabulary.js';
export * from './image.js';
export type { PlanarImage } from './resize.js';
export * from './magicbrush.js';
export * from './batch.js';
