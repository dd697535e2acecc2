/**
 * Head specs and traits: how a run names a head and what the report says about it.
 *
 * A spec string is `KIND`, `KIND.coords` or `KIND.nocoords` (e.g. `cross-pixel.nocoords`). The
 * suffix sets the x, y coordinate channels of a head that sees the feature map; a bare kind takes
 * the caller's default (the run's `--coords`, on unless told). `concat` and `outer` pool the map
 * away: they take no suffix and always have coords false.
 * `headId(spec)` is the canonical name: the bare kind for coords on (the house default) and for
 * the pooled heads, `KIND.nocoords` for coords off; `parseHeadSpec(headId(s))` gives s back.
 *
 * `headTraits(head)` describes a built head for the "how the heads differ" table:
 *   coords              x, y channels joined to the map
 *   residualImagePath   the decoder input has a term in the image feature map that does not pass
 *                       through the text (an additive per-pixel path: cross-pixel's image_proj,
 *                       concat-tiled's feature columns, FiLM's 1 * features, image-only)
 *   attention           'text-queries' (text tokens query the pixels), 'pixel-queries' (pixels
 *                       query the words) or 'none'
 *   decoderInputChannels the map's channels (equal for all heads at one `dim`, except outer: 1)
 *   parameters          the head's own parameter elements (encoders and decoder not included)
 * `fusionConfigFor(spec, width)` builds the head's configuration at one width for every head, so
 * the decoder input channels are equal where the equations allow.
 */
import { HEAD_KINDS, type FusionHead, type FusionKind } from './types.js';
import type { FusionConfig } from './index.js';

export interface HeadSpec {
  kind: FusionKind;
  /** x, y coordinate channels (false for concat and outer). */
  coords: boolean;
}

export type HeadAttention = 'none' | 'text-queries' | 'pixel-queries';

export interface HeadTraits {
  coords: boolean;
  residualImagePath: boolean;
  attention: HeadAttention;
  decoderInputChannels: number;
  parameters: number;
}

interface KindTraits {
  /** Reads the image feature map (so the coords option applies). */
  seesMap: boolean;
  /** Reads any text input (false only for the image-only control). */
  usesText: boolean;
  residualImagePath: boolean;
  attention: HeadAttention;
}

const KIND_TRAITS: Record<FusionKind, KindTraits> = {
  concat: { seesMap: false, usesText: true, residualImagePath: false, attention: 'none' },
  outer: { seesMap: false, usesText: true, residualImagePath: false, attention: 'none' },
  'cross-text': { seesMap: true, usesText: true, residualImagePath: false, attention: 'text-queries' },
  'cross-pixel': { seesMap: true, usesText: true, residualImagePath: true, attention: 'pixel-queries' },
  'concat-tiled': { seesMap: true, usesText: true, residualImagePath: true, attention: 'none' },
  film: { seesMap: true, usesText: true, residualImagePath: true, attention: 'none' },
  'image-only': { seesMap: true, usesText: false, residualImagePath: true, attention: 'none' },
  'outer-patches': { seesMap: true, usesText: true, residualImagePath: false, attention: 'none' },
};

/** Whether the kind reads the feature map (so `.coords` / `.nocoords` apply to it). */
export function headSeesMap(kind: FusionKind): boolean {
  return KIND_TRAITS[kind].seesMap;
}

/** Whether the kind reads the text at all (MaskModel skips the text encoder when not). */
export function headUsesText(kind: FusionKind): boolean {
  return KIND_TRAITS[kind].usesText;
}

function isKind(s: string): s is FusionKind {
  return (HEAD_KINDS as readonly string[]).includes(s);
}

/**
 * Parses `KIND`, `KIND.coords` or `KIND.nocoords`; a bare map-seeing kind gets `defaultCoords`.
 * Throws naming the spec and listing the valid kinds and suffixes.
 */
export function parseHeadSpec(spec: string, defaultCoords = true): HeadSpec {
  const dot = spec.indexOf('.');
  const kind = dot < 0 ? spec : spec.slice(0, dot);
  const suffix = dot < 0 ? null : spec.slice(dot + 1);
  if (!isKind(kind)) {
    throw new Error(`head spec ${JSON.stringify(spec)}: unknown kind ${JSON.stringify(kind)} (valid kinds: ${HEAD_KINDS.join(', ')}; optional suffix .coords or .nocoords)`);
  }
  if (suffix !== null && suffix !== 'coords' && suffix !== 'nocoords') {
    throw new Error(`head spec ${JSON.stringify(spec)}: unknown suffix ${JSON.stringify(suffix)} (expected .coords or .nocoords; valid kinds: ${HEAD_KINDS.join(', ')})`);
  }
  if (!headSeesMap(kind)) {
    if (suffix !== null) throw new Error(`head spec ${JSON.stringify(spec)}: ${kind} pools the feature map away and takes no .coords / .nocoords suffix`);
    return { kind, coords: false };
  }
  return { kind, coords: suffix === null ? defaultCoords : suffix === 'coords' };
}

/** The canonical name of a spec (see the module comment). */
export function headId(spec: HeadSpec): string {
  return headSeesMap(spec.kind) && !spec.coords ? `${spec.kind}.nocoords` : spec.kind;
}

/** The traits of a built head (see the module comment). */
export function headTraits(head: FusionHead): HeadTraits {
  const t = KIND_TRAITS[head.kind];
  return { coords: head.coords, residualImagePath: t.residualImagePath, attention: t.attention, decoderInputChannels: head.outChannels, parameters: head.parameterCount() };
}

/** Options every head is built with at one width. */
export interface HeadWidth {
  /** The map's channels for every head but outer (each head's default when absent: 256). */
  dim?: number;
  /** Attention heads of cross-text and cross-pixel (their default when absent: 8). */
  heads?: number;
}

/**
 * The configuration of a spec's head at one width: concat's projections and channels, the
 * attention width, FiLM's, concat-tiled's, image-only's and outer-patches' channels are all
 * `dim`, so their decoders start from the same number of channels. outer's map is 1 channel of
 * its own side (eq. 3) whatever the width.
 */
export function fusionConfigFor(spec: HeadSpec, width: HeadWidth = {}): FusionConfig {
  const { dim, heads } = width;
  const sized = dim === undefined ? {} : { dim };
  switch (spec.kind) {
    case 'concat':
      return { kind: 'concat', ...sized, ...(dim === undefined ? {} : { channels: dim }) };
    case 'outer':
      return { kind: 'outer' };
    case 'cross-text':
    case 'cross-pixel':
      return { kind: spec.kind, ...sized, ...(heads === undefined ? {} : { heads }), coords: spec.coords };
    case 'concat-tiled':
    case 'film':
    case 'image-only':
    case 'outer-patches':
      return { kind: spec.kind, ...sized, coords: spec.coords };
  }
}
