/**
 * Rasterises synthetic scenes into planar CHW float images in [0, 1], without anti-aliasing, so a
 * pixel belongs to exactly one object (or the background) and the mask is exact.
 *
 * Pixel (px, py) covers [px, px+1) x [py, py+1) and is inside a shape when its centre is.
 * Shape: scene -> image (3, S, S) float32, object ids (S, S) uint8 (0 = background, i + 1 = object i).
 */
import { Random } from './prng.js';
import type { SceneBackground, SceneObject, SyntheticScene } from './synthetic-scene.js';
import { COLORS, HAT, SHAPES, type InsideTest } from './shapes.js';

/** Something to paint: an inside-test scaled by `radius` around (x, y), filled with `rgb`. */
export interface Drawable {
  inside: InsideTest;
  rgb: readonly [number, number, number];
  x: number;
  y: number;
  radius: number;
}

/** The background of `size` x `size` pixels, CHW in [0, 1]. */
export function renderBackground(background: SceneBackground, size: number): Float32Array {
  const plane = size * size;
  const image = new Float32Array(3 * plane);
  const noise = new Random(background.noiseSeed);
  const cos = Math.cos(background.angle);
  const sin = Math.sin(background.angle);
  const [r, g, b] = background.base;
  const stripes = background.pattern === 'stripes';
  const frequency = (2 * Math.PI) / background.period;
  for (let py = 0; py < size; py++) {
    const rowAlong = ((py + 0.5) / size - 0.5) * sin;
    for (let px = 0; px < size; px++) {
      // signed distance from the image centre along the pattern direction, in image sides
      const along = ((px + 0.5) / size - 0.5) * cos + rowAlong;
      const shade = stripes ? background.amplitude * Math.sin(frequency * along) : background.amplitude * along;
      const offset = shade + background.noise * (2 * noise.next() - 1);
      const i = py * size + px;
      image[i] = clamp01(r + offset);
      image[plane + i] = clamp01(g + offset);
      image[2 * plane + i] = clamp01(b + offset);
    }
  }
  return image;
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/**
 * Paints `drawables` in order into `image` (CHW, `size` x `size`). When `ids` is given, writes
 * `index + 1` of the last drawable covering each pixel. Returns each drawable's full pixel area
 * (before later drawables cover it).
 */
export function paint(image: Float32Array, size: number, drawables: readonly Drawable[], ids?: Uint8Array): number[] {
  const plane = size * size;
  return drawables.map((d, index) => {
    const cx = d.x * size;
    const cy = d.y * size;
    const r = d.radius * size;
    const x0 = Math.max(0, Math.floor(cx - r));
    const x1 = Math.min(size - 1, Math.ceil(cx + r));
    const y0 = Math.max(0, Math.floor(cy - r));
    const y1 = Math.min(size - 1, Math.ceil(cy + r));
    const [red, green, blue] = d.rgb;
    let area = 0;
    for (let py = y0; py <= y1; py++) {
      const v = (py + 0.5 - cy) / r;
      for (let px = x0; px <= x1; px++) {
        if (!d.inside((px + 0.5 - cx) / r, v)) continue;
        const i = py * size + px;
        image[i] = red;
        image[plane + i] = green;
        image[2 * plane + i] = blue;
        if (ids) ids[i] = index + 1;
        area++;
      }
    }
    return area;
  });
}

/** The drawable of a scene object. */
export function objectDrawable(object: SceneObject): Drawable {
  return { inside: SHAPES[object.shape], rgb: COLORS[object.color], x: object.x, y: object.y, radius: object.radius };
}

/**
 * The drawables of the scene after its edit: the target removed, recoloured, reshaped or resized
 * (in place in the drawing order), or a hat added on top of everything, resting on the target.
 */
export function editedDrawables(scene: SyntheticScene, radii: Readonly<Record<'small' | 'large', number>>): Drawable[] {
  const { edit, targetIndex } = scene;
  const drawables: Drawable[] = [];
  scene.objects.forEach((object, i) => {
    if (i !== targetIndex) return drawables.push(objectDrawable(object));
    switch (edit.verb) {
      case 'remove': return;
      case 'recolor': return drawables.push(objectDrawable({ ...object, color: edit.color }));
      case 'reshape': return drawables.push(objectDrawable({ ...object, shape: edit.shape }));
      case 'resize': return drawables.push(objectDrawable({ ...object, size: edit.size, radius: radii[edit.size] }));
      case 'hat': return drawables.push(objectDrawable(object));
    }
  });
  if (edit.verb === 'hat') {
    const target = scene.objects[targetIndex];
    const hatRadius = 0.6 * target.radius;
    drawables.push({ inside: HAT, rgb: COLORS[edit.color], x: target.x, y: target.y - target.radius - 0.8 * hatRadius, radius: hatRadius });
  }
  return drawables;
}
