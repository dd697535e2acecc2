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

/**
 * Packs uniform values into bytes by the reflected layout. Fields not given are zero (a family's
 * shared struct has fields some entry points ignore); a name the struct lacks is an error.
 */
export function packUniforms(layout: UniformLayout, values: UniformValues, context: string): ArrayBuffer {
  const bytes = new ArrayBuffer(Math.ceil(layout.size / 16) * 16);
  const view = new DataView(bytes);
  for (const f of layout.fields) {
    const v = values[f.name];
    if (v === undefined) continue;
    const list = typeof v === 'number' ? [v] : v;
    if (list.length > f.count) throw new Error(`${context}: uniform field ${f.name} holds ${f.count} values, got ${list.length}`);
    for (let i = 0; i < list.length; i++) {
      const off = f.offset + Math.floor(i / f.groupSize) * f.elementStride + (i % f.groupSize) * 4;
      const x = list[i];
      if (f.scalar === 'f32') view.setFloat32(off, x, true);
      else if (f.scalar === 'u32') view.setUint32(off, x >>> 0, true);
      else view.setInt32(off, x | 0, true);
    }
  }
  for (const name of Object.keys(values)) {
    if (!layout.fields.some((f) => f.name === name)) throw new Error(`${context}: uniform struct has no field ${name}`);
  }
  return bytes;
}
