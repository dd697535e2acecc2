/**
 * Structural variants of a kernel family plug in through small named hook functions.
 * Each shader file defines every hook with a default body, so the file is valid WGSL on its own;
 * a variant replaces whole functions by name (signature included), never free-form text.
 *
 * Fusion goes through these hooks too: elementwise work is fused into the kernel that produces or
 * consumes it at the places a training step's profile names (a GEMM's `epilogue`: a bias per row or
 * column; BatchNorm's `activate` and `residual_at`: ReLU and a residual add; LayerNorm's `input_at`:
 * a residual add; the weight-gradient GEMM's extra column of ones: the bias gradient), not by a
 * lazy graph that fuses arbitrary elementwise chains (jax-js's jit, tinygrad's scheduler). Why: in
 * the tiny step the dispatches left after the multi-tensor optimizer were mostly reductions and
 * normalisation pieces (BatchNorm 119, reduce/sum 65 of 376), which an elementwise fuser does not
 * remove, against ~30 elementwise maps; and a graph would defer allocation and execution in an
 * eager library whose memory is explicit (dispose, tidy) and whose ops are each tested against a
 * float64 reference. A fused kernel stays a named, tested variant of an existing one.
 */

/** Finds `fn name(` at the start of a line and returns the [start, end) span of the whole function. */
function functionSpan(source: string, name: string): [number, number] | null {
  const match = new RegExp(`^fn\\s+${name}\\s*\\(`, 'm').exec(source);
  if (!match) return null;
  const open = source.indexOf('{', match.index);
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    if (source[i] === '{') depth++;
    else if (source[i] === '}' && --depth === 0) return [match.index, i + 1];
  }
  throw new Error(`hook ${name}: unbalanced braces in shader source`);
}

/** Returns the source with each named function replaced by the given definition. */
export function applyHooks(source: string, hooks: Readonly<Record<string, string>> | undefined): string {
  if (!hooks) return source;
  let out = source;
  for (const [name, definition] of Object.entries(hooks)) {
    const span = functionSpan(out, name);
    if (!span) throw new Error(`hook ${name}: the shader defines no function of that name to replace`);
    if (!new RegExp(`^\\s*fn\\s+${name}\\s*\\(`).test(definition)) {
      throw new Error(`hook ${name}: replacement must define fn ${name}(...)`);
    }
    out = out.slice(0, span[0]) + definition.trim() + out.slice(span[1]);
  }
  return out;
}
