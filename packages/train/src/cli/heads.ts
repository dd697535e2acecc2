/**
 * The `--fusion` list of `pnpm train` turned into the run's heads: each entry a spec (`KIND`,
 * `KIND.coords`, `KIND.nocoords`, or `all` for the default heads), bare kinds taking the run's
 * `--coords`; each head named by its canonical id (`headId`), so two entries that name the same
 * head (`cross-pixel,cross-pixel`, or `cross-pixel,cross-pixel.coords` with coords on) are a
 * usage error rather than a run that trains one head twice into one folder.
 */
import { headId, parseHeadSpec } from '@fusion/models';
import { UsageError } from './args.js';
import type { HeadChoice } from '../loop/run.js';

export function resolveHeads(list: readonly string[], defaults: readonly string[], coords: boolean): HeadChoice[] {
  const expanded = list.flatMap((item) => (item === 'all' ? defaults : [item]));
  const heads: HeadChoice[] = [];
  const given = new Map<string, string>();
  for (const item of expanded) {
    let spec;
    try {
      spec = parseHeadSpec(item, coords);
    } catch (e) {
      throw new UsageError(`--fusion: ${(e as Error).message}`);
    }
    const name = headId(spec);
    const earlier = given.get(name);
    if (earlier !== undefined) {
      throw new UsageError(`--fusion: "${item}" names the same head as "${earlier}" (${name}${coords ? ', coordinates on by --coords' : ''}); list each head once`);
    }
    given.set(name, item);
    heads.push({ name, spec });
  }
  return heads;
}
