/**
 * Reflection of WGSL kernels with wgsl_reflect: bind-group layout and uniform struct layout are
 * derived from the shader, never restated by hand. The runtime builds its GPUBindGroupLayout and
 * packs uniforms from this; tests check each spec's declared bindings against it.
 */
// The package's "main" is CommonJS under "type": "module" (unloadable by Node); its ES build is fine.
import { WgslReflect, ResourceType } from 'wgsl_reflect/wgsl_reflect.module.js';

export type BindingKind = 'read-only-storage' | 'storage' | 'uniform';

export interface BindingInfo {
  name: string;
  binding: number;
  kind: BindingKind;
}

export type ScalarType = 'u32' | 'i32' | 'f32';

/** One uniform field: scalars, vectors (count 2..4) and arrays of vec4 (count = 4 * length). */
export interface UniformField {
  name: string;
  offset: number;
  scalar: ScalarType;
  /** Number of scalars the field holds. */
  count: number;
  /** Byte distance between consecutive scalars groups; 4 for scalars and vectors. */
  elementStride: number;
  /** Scalars per group (vector width) for arrays of vectors; equals count otherwise. */
  groupSize: number;
}

export interface UniformLayout {
  binding: number;
  name: string;
  size: number;
  fields: UniformField[];
}

export interface KernelReflection {
  bindings: BindingInfo[];
  uniforms: UniformLayout | null;
  overrides: string[];
  workgroupSize: [number, number, number] | null;
}

function scalarOf(typeName: string, context: string): ScalarType {
  const m = /^(?:vec[234])?<?(u32|i32|f32)>?$|^vec[234]([uif])$/.exec(typeName);
  if (m?.[1]) return m[1] as ScalarType;
  if (m?.[2]) return ({ u: 'u32', i: 'i32', f: 'f32' } as const)[m[2] as 'u' | 'i' | 'f'];
  throw new Error(`${context}: uniform field type ${typeName} is not supported (use u32/i32/f32, vectors, arrays of vec4)`);
}

interface TypeLike {
  name: string;
  isArray: boolean;
  format?: TypeLike | null;
  count?: number;
  stride?: number;
}

function vectorWidth(t: TypeLike): number {
  const m = /vec([234])/.exec(t.name);
  return m ? Number(m[1]) : 1;
}

function scalarTypeName(t: TypeLike): string {
  if (t.format && !t.isArray) return `${t.name}<${t.format.name}>`;
  return t.name;
}

/**
 * The source as wgsl_reflect (1.6) can parse it. It cannot parse the subgroup-matrix extension's
 * types (three template arguments) or its builtins' template arguments, so those become a plain
 * vector type and untemplated calls: reflection needs only the bindings, the uniform struct, the
 * overrides and which resources each entry point uses, none of which this changes. Dawn compiles
 * the source as written.
 */
export function reflectableSource(source: string): string {
  if (!source.includes('chromium_experimental_subgroup_matrix')) return source;
  return source
    .replace(/subgroup_matrix_(?:left|right|result)<[^<>]*>/g, 'vec4<f32>')
    .replace(/subgroupMatrixLoad<vec4<f32>, (?:row_major|col_major)>\(/g, 'subgroupMatrixLoad(')
    .replace(/subgroupMatrixStore<(?:row_major|col_major)>\(/g, 'subgroupMatrixStore(')
    .replace(/^diagnostic\(.*\);$/gm, '');
}

/** Reflects one entry point of a WGSL source: its bindings (group 0), uniform struct and overrides. */
export function reflectKernel(source: string, entryPoint: string, context = entryPoint): KernelReflection {
  const reflect = new WgslReflect(reflectableSource(source));
  const entry = reflect.entry.compute.find((f) => f.name === entryPoint);
  if (!entry) throw new Error(`${context}: no @compute entry point named ${entryPoint}`);
  const bindings: BindingInfo[] = [];
  let uniforms: UniformLayout | null = null;
  const used = new Set(entry.resources.map((r) => r.name));
  const all = [...reflect.storage, ...reflect.uniforms].filter((v) => used.has(v.name));
  for (const v of all) {
    if (v.group !== 0) throw new Error(`${context}: binding ${v.name} must be in @group(0)`);
    if (v.resourceType === ResourceType.Uniform) {
      if (uniforms) throw new Error(`${context}: more than one uniform binding (${uniforms.name}, ${v.name})`);
      const members = v.members ?? [];
      const fields: UniformField[] = members.map((m) => {
        const type = m.type as unknown as TypeLike;
        if (type.isArray) {
          const fmt = type.format as TypeLike;
          const width = vectorWidth(fmt);
          return {
            name: m.name, offset: m.offset, scalar: scalarOf(scalarTypeName(fmt), `${context}.${m.name}`),
            count: width * (type.count ?? 0), elementStride: type.stride ?? 16, groupSize: width,
          };
        }
        const width = vectorWidth(type);
        return { name: m.name, offset: m.offset, scalar: scalarOf(scalarTypeName(type), `${context}.${m.name}`), count: width, elementStride: 4 * width, groupSize: width };
      });
      uniforms = { binding: v.binding, name: v.name, size: v.size, fields };
      bindings.push({ name: v.name, binding: v.binding, kind: 'uniform' });
    } else if (v.resourceType === ResourceType.Storage) {
      bindings.push({ name: v.name, binding: v.binding, kind: v.access === 'read_write' ? 'storage' : 'read-only-storage' });
    } else {
      throw new Error(`${context}: binding ${v.name} has an unsupported resource type`);
    }
  }
  bindings.sort((a, b) => a.binding - b.binding);
  return {
    bindings,
    uniforms,
    overrides: reflect.overrides.map((o) => o.name),
    workgroupSize: entry.workgroupSize,
  };
}

export type UniformValues = Readonly<Record<string, number | readonly number[]>>;

/** A layout's fields by name, built once per layout (packing runs on every dispatch). */
const fieldMaps = new WeakMap<UniformLayout, Map<string, UniformField>>();

function fieldMap(layout: UniformLayout): Map<string, UniformField> {
  let map = fieldMaps.get(layout);
  if (!map) fieldMaps.set(layout, (map = new Map(layout.fields.map((f) => [f.name, f]))));
  return map;
}

/**
 * Packs uniform values into bytes by the reflected layout. Fields not given are zero (a family's
 * shared struct has fields some entry points ignore); a name the struct lacks is an error.
 */
export function packUniforms(layout: UniformLayout, values: UniformValues, context: string): ArrayBuffer {
  const bytes = new ArrayBuffer(Math.ceil(layout.size / 16) * 16);
  const u32 = new Uint32Array(bytes);
  const i32 = new Int32Array(bytes);
  const f32 = new Float32Array(bytes);
  const fields = fieldMap(layout);
  for (const name in values) {
    const v = values[name];
    const f = fields.get(name);
    if (!f) throw new Error(`${context}: uniform struct has no field ${name}`);
    if (v === undefined) continue;
    if (typeof v === 'number') {
      const word = f.offset >> 2;
      if (f.scalar === 'f32') f32[word] = v;
      else if (f.scalar === 'u32') u32[word] = v >>> 0;
      else i32[word] = v | 0;
      continue;
    }
    if (v.length > f.count) throw new Error(`${context}: uniform field ${f.name} holds ${f.count} values, got ${v.length}`);
    for (let i = 0; i < v.length; i++) {
      const word = (f.offset + Math.floor(i / f.groupSize) * f.elementStride + (i % f.groupSize) * 4) >> 2;
      const x = v[i];
      if (f.scalar === 'f32') f32[word] = x;
      else if (f.scalar === 'u32') u32[word] = x >>> 0;
      else i32[word] = x | 0;
    }
  }
  return bytes;
}
