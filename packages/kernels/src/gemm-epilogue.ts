/**
 * The GEMM family's epilogues: what a store fuses into the product, as the one `epilogue` hook
 * every GEMM shader (gemm.wgsl, gemm_subgroup.wgsl, gemm_blocked.wgsl) defines (alpha * v by
 * default) and calls from its store_c as `epilogue(m, n, at, v)`, at being C[m, n]'s index past
 * c_offset. An epilogue is named by its parts and built into a hook here; specs take it as a
 * variant (matmul's `nn_bias_col`, the convolution's `forward_bias`), so a plain variant binds no
 * bias. Float64 reference: `gemmEpilogueReference`.
 */

/**
 * What a store fuses after alpha, per channel: the row m of C (a convolution's output channel) or
 * its column n (a linear layer's feature). r = alpha v; r *= scale[channel] (BatchNorm's scale);
 * r += bias[channel] (a bias, or BatchNorm's shift); r += residual[at] (C's layout); r = max(r, 0).
 * A bias works on every GEMM shader; scale and residual read bindings only gemm_blocked.wgsl has.
 */
export interface GemmEpilogue {
  channel: 'row' | 'col';
  scale?: boolean;
  bias?: boolean;
  residual?: boolean;
  relu?: boolean;
}

/** The epilogues every GEMM shader takes: a bias per row or per column. */
export const GEMM_BIAS_EPILOGUES: readonly GemmEpilogue[] = [{ channel: 'row', bias: true }, { channel: 'col', bias: true }];

/**
 * An epilogue's parts as a name, in the order applied ('scale_bias_relu'; '' for alpha * v alone);
 * with `channel`, '_row' or '_col' is appended where a part reads per channel.
 */
export function gemmEpilogueName(e: GemmEpilogue, channel = false): string {
  const parts = (['scale', 'bias', 'residual', 'relu'] as const).filter((p) => e[p]);
  return parts.join('_') + (channel && (e.scale || e.bias) ? `_${e.channel}` : '');
}

/** The hook of an epilogue (none for alpha * v alone, the shaders' default). */
export function gemmEpilogueHooks(e: GemmEpilogue): Readonly<Record<string, string>> {
  if (!e.scale && !e.bias && !e.residual && !e.relu) return {};
  const channel = e.channel === 'row' ? 'm' : 'n';
  const lines = ['  var r = params.alpha * v;'];
  if (e.scale) lines.push(`  r *= scale[params.scale_offset + ${channel}];`);
  if (e.bias) lines.push(`  r += bias[params.bias_offset + ${channel}];`);
  if (e.residual) lines.push('  r += residual[params.residual_offset + at];');
  if (e.relu) lines.push('  r = max(r, 0.0);');
  return { epilogue: `fn epilogue(m: u32, n: u32, at: u32, v: f32) -> f32 {\n${lines.join('\n')}\n  return r;\n}` };
}

/** Operands of the epilogue reference (per-channel vectors, the residual in the output's layout). */
export interface EpilogueOperands {
  alpha?: number;
  scale?: ArrayLike<number>;
  bias?: ArrayLike<number>;
  residual?: ArrayLike<number>;
  relu?: boolean;
}

/**
 * Float64 epilogue over raw products: out[i] = relu?(alpha v[i] scale[ch] + bias[ch] + residual[i])
 * with ch = channelOf(i).
 */
export function gemmEpilogueReference(product: ArrayLike<number>, channelOf: (i: number) => number, e: EpilogueOperands): Float64Array {
  const out = new Float64Array(product.length);
  for (let i = 0; i < product.length; i++) {
    const ch = channelOf(i);
    let r = (e.alpha ?? 1) * product[i];
    if (e.scale) r *= e.scale[ch];
    if (e.bias) r += e.bias[ch];
    if (e.residual) r += e.residual[i];
    out[i] = e.relu ? Math.max(r, 0) : r;
  }
  return out;
}
