import { describe, expect, it } from 'vitest';
import { generateBatch, generateSample, type SyntheticSample } from './synthetic.js';
import { renderBackground } from './synthetic-render.js';
import type { SceneObject, SyntheticScene } from './synthetic-scene.js';
import { COLORS, SHAPES, type ShapeName } from './shapes.js';
import { SYNTHETIC_VOCABULARY, instructionWords } from './vocabulary.js';
import { parseInstruction, type Description } from '../testing/instruction.js';

// An independent, unoptimised renderer: every pixel tests every object in drawing order.
function referenceRender(scene: SyntheticScene, size: number, objects: readonly SceneObject[] = scene.objects) {
  const plane = size * size;
  const image = renderBackground(scene.background, size);
  const ids = new Int32Array(plane).fill(-1);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      objects.forEach((o, k) => {
        const u = (px + 0.5 - o.x * size) / (o.radius * size);
        const v = (py + 0.5 - o.y * size) / (o.radius * size);
        if (!SHAPES[o.shape](u, v)) return;
        const i = py * size + px;
        ids[i] = k;
        for (let c = 0; c < 3; c++) image[c * plane + i] = COLORS[o.color][c];
      });
    }
  }
  return { image, ids };
}

function centroid(ids: Int32Array, id: number, size: number): { x: number; y: number; n: number } {
  let x = 0, y = 0, n = 0;
  for (let i = 0; i < ids.length; i++) if (ids[i] === id) { x += i % size + 0.5; y += Math.floor(i / size) + 0.5; n++; }
  return { x: x / n / size, y: y / n / size, n };
}

function matching(objects: readonly SceneObject[], d: Description): number[] {
  return objects.flatMap((o, k) =>
    (d.size === undefined || o.size === d.size) && (d.color === undefined || o.color === d.color) && o.shape === d.shape ? [k] : []);
}

const SIZE = 64;
const many = generateBatch({ seed: 11, size: SIZE }, 0, 300);

describe('generateSample', () => {
  it('is deterministic per (seed, index) and differs across indices and seeds', () => {
    const a = generateSample({ seed: 5, size: SIZE }, 17);
    const b = generateSample({ seed: 5, size: SIZE }, 17);
    expect(Buffer.from(b.image.buffer).equals(Buffer.from(a.image.buffer))).toBe(true);
    expect(Buffer.from(b.mask.buffer).equals(Buffer.from(a.mask.buffer))).toBe(true);
    expect(Buffer.from(b.target!.buffer).equals(Buffer.from(a.target!.buffer))).toBe(true);
    expect(b.instruction).toBe(a.instruction);
    expect(a.id).toBe('synthetic:5:17');
    const c = generateSample({ seed: 5, size: SIZE }, 18);
    const d = generateSample({ seed: 6, size: SIZE }, 17);
    expect(Buffer.from(c.image.buffer).equals(Buffer.from(a.image.buffer))).toBe(false);
    expect(Buffer.from(d.image.buffer).equals(Buffer.from(a.image.buffer))).toBe(false);
  });

  it('renders a sample independently of the other indices (batch = single draws)', () => {
    const batch = generateBatch({ seed: 3, size: 32 }, 40, 5);
    batch.forEach((s, k) => {
      const alone = generateSample({ seed: 3, size: 32 }, 40 + k);
      expect(s.id).toBe(`synthetic:3:${40 + k}`);
      expect(Array.from(s.image)).toEqual(Array.from(alone.image));
      expect(s.instruction).toBe(alone.instruction);
    });
  });

  it('has the declared shapes and value ranges', () => {
    for (const s of many.slice(0, 50)) {
      expect([s.width, s.height, s.image.length, s.mask.length, s.target!.length]).toEqual([SIZE, SIZE, 3 * SIZE * SIZE, SIZE * SIZE, 3 * SIZE * SIZE]);
      expect(s.image.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(s.mask.every((v) => v === 0 || v === 1)).toBe(true);
      expect(s.scene.objects.length).toBeGreaterThanOrEqual(2);
      expect(s.scene.objects.length).toBeLessThanOrEqual(5);
    }
  });

  it("draws the image as the scene says and masks exactly the target's visible pixels", () => {
    for (const size of [32, 64, 97]) {
      for (const s of generateBatch({ seed: 2, size }, 0, 40)) {
        const { image, ids } = referenceRender(s.scene, size);
        expect(Array.from(s.image)).toEqual(Array.from(image));
        const expected = Array.from(ids, (id) => (id === s.scene.targetIndex ? 1 : 0));
        expect(Array.from(s.mask)).toEqual(expected);
        expect(expected.reduce<number>((a, b) => a + b, 0)).toBeGreaterThan(0);
      }
    }
  });

  it('keeps every object mostly visible', () => {
    for (const s of many.slice(0, 100)) {
      const { ids } = referenceRender(s.scene, SIZE);
      s.scene.objects.forEach((o, k) => {
        const alone = referenceRender(s.scene, SIZE, [o]).ids.filter((id) => id === 0).length;
        const visible = ids.filter((id) => id === k).length;
        expect(visible / alone, `${s.id} object ${k}`).toBeGreaterThanOrEqual(0.6);
      });
    }
  });

  it('names a target that is unique by its attributes in meaning instructions', () => {
    const meaning = many.filter((s) => s.kind === 'meaning');
    expect(meaning.length).toBeGreaterThan(60);
    let withSize = 0;
    for (const s of meaning) {
      const parsed = parseInstruction(s.instruction);
      expect(parsed.position ?? parsed.relation, s.instruction).toBeUndefined();
      expect(matching(s.scene.objects, parsed.target), s.instruction).toEqual([s.scene.targetIndex]);
      if (parsed.target.size) {
        withSize++;
        // the size word is needed: another object has the same colour and shape
        expect(matching(s.scene.objects, { ...parsed.target, size: undefined }).length, s.instruction).toBeGreaterThan(1);
      }
    }
    expect(withSize).toBeGreaterThan(5);
  });

  it('makes position phrases true for the target and false for its identical twin', () => {
    const position = many.filter((s) => s.kind === 'position');
    expect(position.length).toBeGreaterThan(60);
    const phrases = new Set<string>();
    for (const s of position) {
      const parsed = parseInstruction(s.instruction);
      expect(parsed.position, s.instruction).toBeDefined();
      phrases.add(parsed.position!);
      const matches = matching(s.scene.objects, parsed.target);
      expect(matches, s.instruction).toHaveLength(2);
      expect(matches).toContain(s.scene.targetIndex);
      const twinIndex = matches.find((k) => k !== s.scene.targetIndex)!;
      const [t, w] = [s.scene.objects[s.scene.targetIndex], s.scene.objects[twinIndex]];
      expect([w.shape, w.color, w.size]).toEqual([t.shape, t.color, t.size]);
      const { ids } = referenceRender(s.scene, SIZE);
      const target = centroid(ids, s.scene.targetIndex, SIZE);
      const twin = centroid(ids, twinIndex, SIZE);
      const p = parsed.position!;
      // relative reading, on the visible pixels: the target is clearly further that way than its twin
      if (p.includes('left')) expect(twin.x - target.x, s.instruction).toBeGreaterThan(0.15);
      if (p.includes('right')) expect(target.x - twin.x, s.instruction).toBeGreaterThan(0.15);
      if (p.includes('top')) expect(twin.y - target.y, s.instruction).toBeGreaterThan(0.15);
      if (p.includes('bottom')) expect(target.y - twin.y, s.instruction).toBeGreaterThan(0.15);
      // absolute reading, on the centres: the target is in the named half or quadrant, the twin is not
      const inside = (o: SceneObject) =>
        (!p.includes('left') || o.x < 0.5) && (!p.includes('right') || o.x >= 0.5) &&
        (!p.includes('top') || o.y < 0.5) && (!p.includes('bottom') || o.y >= 0.5);
      expect(inside(t), s.instruction).toBe(true);
      expect(inside(w), s.instruction).toBe(false);
    }
    expect(phrases.size).toBe(8);
  });

  it('makes relational phrases true for the target and false for the look-alike', () => {
    const relational = generateBatch({ seed: 12, size: SIZE, kinds: { relational: 1 } }, 0, 150);
    const relations = new Set<string>();
    for (const s of relational) {
      expect(s.kind).toBe('relational');
      const parsed = parseInstruction(s.instruction);
      expect(parsed.relation, s.instruction).toBeDefined();
      relations.add(parsed.relation!);
      const matches = matching(s.scene.objects, parsed.target);
      expect(matches, s.instruction).toHaveLength(2);
      expect(matches).toContain(s.scene.targetIndex);
      const decoyIndex = matches.find((k) => k !== s.scene.targetIndex)!;
      const referenceMatches = matching(s.scene.objects, parsed.reference!);
      expect(referenceMatches, s.instruction).toHaveLength(1);
      const { ids } = referenceRender(s.scene, SIZE);
      const [t, d, r] = [s.scene.targetIndex, decoyIndex, referenceMatches[0]].map((k) => centroid(ids, k, SIZE));
      const slack = 0.04; // visible-pixel centroids may sit off the shape centres (triangles, occlusion)
      switch (parsed.relation) {
        case 'above':
          expect(r.y - t.y, s.instruction).toBeGreaterThan(Math.abs(t.x - r.x) - slack);
          expect(d.y - r.y, s.instruction).toBeGreaterThan(-slack);
          break;
        case 'below':
          expect(t.y - r.y, s.instruction).toBeGreaterThan(Math.abs(t.x - r.x) - slack);
          expect(r.y - d.y, s.instruction).toBeGreaterThan(-slack);
          break;
        case 'left of':
          expect(r.x - t.x, s.instruction).toBeGreaterThan(Math.abs(t.y - r.y) - slack);
          expect(d.x - r.x, s.instruction).toBeGreaterThan(-slack);
          break;
        case 'right of':
          expect(t.x - r.x, s.instruction).toBeGreaterThan(Math.abs(t.y - r.y) - slack);
          expect(r.x - d.x, s.instruction).toBeGreaterThan(-slack);
          break;
        case 'next to': {
          const near = Math.hypot(t.x - r.x, t.y - r.y);
          const far = Math.hypot(d.x - r.x, d.y - r.y);
          const objects = s.scene.objects;
          expect(near, s.instruction).toBeLessThan(objects[s.scene.targetIndex].radius + objects[referenceMatches[0]].radius + 0.08 + slack);
          expect(far, s.instruction).toBeGreaterThan(1.7 * near);
          break;
        }
        default:
          throw new Error(`unexpected relation in '${s.instruction}'`);
      }
    }
    expect(relations.size).toBe(5);
  });

  it('follows the kind proportions', () => {
    const count = (samples: SyntheticSample[], kind: string) => samples.filter((s) => s.kind === kind).length / samples.length;
    const defaults = generateBatch({ seed: 21, size: 32, withTarget: false }, 0, 500);
    expect(count(defaults, 'meaning')).toBeCloseTo(0.4, 1);
    expect(count(defaults, 'position')).toBeCloseTo(0.4, 1);
    expect(count(defaults, 'relational')).toBeCloseTo(0.2, 1);
    expect(Math.abs(count(defaults, 'relational') - 0.2)).toBeLessThan(0.05);
    const skewed = generateBatch({ seed: 22, size: 32, withTarget: false, kinds: { meaning: 1, relational: 3 } }, 0, 500);
    expect(count(skewed, 'position')).toBe(0);
    expect(Math.abs(count(skewed, 'relational') - 0.75)).toBeLessThan(0.05);
    for (const s of skewed) expect(s.kind).toBe(s.scene.reference.kind);
  });

  it('uses only vocabulary words, with every option shape and colour', () => {
    const vocabulary = new Set(SYNTHETIC_VOCABULARY);
    const all = generateBatch({
      seed: 4, size: 32, withTarget: false,
      shapes: ['circle', 'square', 'triangle', 'diamond', 'ring', 'cross'],
      colors: ['red', 'green', 'blue', 'yellow', 'purple', 'orange'],
    }, 0, 400);
    const used = new Set<string>();
    for (const s of [...many, ...all]) {
      expect(s.instruction).toMatch(/^[a-z ]+$/);
      for (const w of instructionWords(s.instruction)) {
        expect(vocabulary.has(w), `'${w}' in '${s.instruction}'`).toBe(true);
        used.add(w);
      }
    }
    for (const w of ['diamond', 'ring', 'cross', 'orange', 'hat', 'remove', 'into', 'bigger', 'smaller', 'next', 'above', 'below']) expect(used).toContain(w);
    for (const name of [...Object.keys(SHAPES), ...Object.keys(COLORS)]) expect(vocabulary.has(name)).toBe(true);
  });

  it('renders the edit the instruction asks for into target', () => {
    const verbs = new Set<string>();
    for (const s of many.slice(0, 150)) {
      const { scene } = s;
      const t = scene.objects[scene.targetIndex];
      const edit = scene.edit;
      verbs.add(edit.verb);
      const plane = SIZE * SIZE;
      if (edit.verb === 'hat') {
        // same image except a hat of the named colour above the target's centre
        const words = instructionWords(s.instruction);
        expect(words[words.indexOf('hat') - 1]).toBe(edit.color);
        let changed = 0;
        for (let i = 0; i < plane; i++) {
          const differs = [0, 1, 2].some((c) => s.target![c * plane + i] !== s.image[c * plane + i]);
          if (!differs) continue;
          changed++;
          expect(Math.floor(i / SIZE) + 0.5, s.instruction).toBeLessThan(t.y * SIZE);
          expect([0, 1, 2].map((c) => s.target![c * plane + i])).toEqual(COLORS[edit.color].map(Math.fround));
        }
        expect(changed).toBeGreaterThan(0);
        continue;
      }
      const edited = scene.objects.flatMap((o, k) => {
        if (k !== scene.targetIndex) return [o];
        switch (edit.verb) {
          case 'remove': return [];
          case 'recolor': return [{ ...o, color: edit.color }];
          case 'reshape': return [{ ...o, shape: edit.shape }];
          case 'resize': return [{ ...o, size: edit.size, radius: edit.size === 'small' ? 0.08 : 0.13 }];
        }
      });
      expect(Array.from(s.target!), s.instruction).toEqual(Array.from(referenceRender(scene, SIZE, edited).image));
      const words = instructionWords(s.instruction);
      if (edit.verb === 'recolor') expect(words[words.length - 1]).toBe(edit.color);
      if (edit.verb === 'reshape') expect(words[words.length - 1]).toBe(edit.shape);
      if (edit.verb === 'resize') expect(words[words.length - 1]).toBe(edit.size === 'large' ? 'bigger' : 'smaller');
      if (edit.verb === 'remove') expect(['remove', 'delete', 'erase']).toContain(words[0]);
    }
    expect(verbs.size).toBe(5);
  });

  it('skips the target when asked to', () => {
    expect(generateSample({ seed: 1, size: 32, withTarget: false }, 0).target).toBeUndefined();
  });

  it('rejects bad options naming the field', () => {
    expect(() => generateSample({ seed: 1, size: 8 }, 0)).toThrow(/'size'/);
    expect(() => generateSample({ seed: 1.5, size: 32 }, 0)).toThrow(/'seed'/);
    expect(() => generateSample({ seed: 1, size: 32, minObjects: 4, maxObjects: 3 }, 0)).toThrow(/'minObjects'/);
    expect(() => generateSample({ seed: 1, size: 32, maxObjects: 2 }, 0)).toThrow(/'maxObjects'.*relational/);
    expect(() => generateSample({ seed: 1, size: 32, shapes: ['blob' as ShapeName] }, 0)).toThrow(/'shapes' has unknown entry 'blob'/);
    expect(() => generateSample({ seed: 1, size: 32, shapes: ['circle'], colors: ['red', 'blue'] }, 0)).toThrow(/at least 3/);
    expect(() => generateSample({ seed: 1, size: 32, kinds: { meaning: 0 } }, 0)).toThrow(/'kinds'/);
    expect(() => generateSample({ seed: 1, size: 32, kinds: { meaning: -1, position: 1 } }, 0)).toThrow(/'kinds.meaning'/);
    expect(() => generateSample({ seed: 1, size: 32, radii: { small: 0.2, large: 0.1 } }, 0)).toThrow(/'radii.small'/);
    expect(() => generateSample({ seed: 1, size: 32 }, -1)).toThrow(/index/);
  });

  it('works with two-object scenes and a single shape', () => {
    const samples = generateBatch({ seed: 9, size: 48, minObjects: 2, maxObjects: 2, kinds: { meaning: 1, position: 1 }, shapes: ['ring'] }, 0, 60);
    for (const s of samples) {
      expect(s.scene.objects).toHaveLength(2);
      expect(s.scene.objects.every((o) => o.shape === 'ring')).toBe(true);
      expect(s.mask.some((v) => v === 1)).toBe(true);
    }
  });
});
