/**
 * `pnpm bench:step [--fusion NAME] [--batch N] [--size N] [--steps N] [--preset tiny|seed] [--top N]`: one
 * training step of the study's model as `pnpm train` runs it (Adam, BCE with the preset's
 * pos_weight, fresh synthetic samples), timed over several steps after warm-up: images per
 * second, milliseconds per step, dispatches per step, host milliseconds spent recording, and the
 * GPU time per kernel of one step (`runtime().profile`, a pass per dispatch: use it to rank
 * kernels, not to time the step).
 */
import { init, runtime, tidy, bceWithLogits, Adam, manualSeed, destroyDevice } from '@fusion/tensor';
import { MaskModel, loadTokenizer, DEFAULT_TOKENIZER_PATH, type FusionKind } from '@fusion/models';
import { PRESETS, FUSION_KINDS, syntheticSource, batchTensors, disposeBatch, type PresetName } from '@fusion/train';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const preset = PRESETS[flag('preset', 'tiny') as PresetName];
  if (!preset) throw new Error(`--preset must be tiny or seed`);
  const fusion = flag('fusion', 'cross-pixel') as FusionKind;
  if (!FUSION_KINDS.includes(fusion)) throw new Error(`--fusion must be one of ${FUSION_KINDS.join(', ')}`);
  const batch = Number(flag('batch', String(preset.batch)));
  const size = Number(flag('size', String(preset.size)));
  const steps = Number(flag('steps', '10'));
  const rt = await init();
  const tokenizer = await loadTokenizer(DEFAULT_TOKENIZER_PATH);
  manualSeed(0);
  const model = new MaskModel(preset.model(fusion, size, tokenizer.vocabSize));
  const optimizer = new Adam(model.trainableParameters(), { lr: preset.lr });
  const data = syntheticSource({ seed: 0, size, train: batch * (steps + 4), validation: 1, eval: 1 });
  const step = (s: number) => {
    const b = batchTensors(data.trainBatch(s, batch), tokenizer, preset.maxTokens);
    const loss = tidy(() => {
      const { logits } = model.forward({ images: b.images, inputIds: b.inputIds, attentionMask: b.attentionMask, tokenTypeIds: b.tokenTypeIds });
      const l = bceWithLogits(logits, b.masks, { posWeight: preset.posWeight });
      l.backward();
      optimizer.step();
      optimizer.zeroGrad();
      return l;
    });
    disposeBatch(b);
    return loss;
  };
  for (let s = 0; s < 3; s++) {
    const l = step(s);
    await l.item();
    l.dispose();
  }
  const dispatches = rt.stats.dispatches;
  let host = 0;
  const t0 = performance.now();
  for (let s = 3; s < 3 + steps; s++) {
    const h = performance.now();
    const l = step(s);
    host += performance.now() - h;
    if (s === 2 + steps) await l.item();
    l.dispose();
  }
  const ms = (performance.now() - t0) / steps;
  console.log(`${fusion}, ${preset.name} preset, batch ${batch}, ${size}x${size}, ${rt.gpu.info.description}`);
  console.log(model.describeParameters());
  console.log(`${ms.toFixed(1)} ms/step, ${((batch * 1000) / ms).toFixed(1)} img/s, ${((rt.stats.dispatches - dispatches) / steps).toFixed(0)} dispatches/step, ${(host / steps).toFixed(1)} ms/step host recording`);
  if (rt.gpu.hasFeature('timestamp-query')) {
    const kernels = await rt.profile(() => step(3 + steps).dispose());
    const total = kernels.reduce((a, k) => a + k.ms, 0);
    console.log(`\nGPU time per kernel over one step (one pass per dispatch: ${total.toFixed(1)} ms in all)`);
    for (const k of kernels.slice(0, Number(flag('top', '20')))) console.log(`  ${k.kernel.padEnd(42)} ${k.ms.toFixed(2).padStart(8)} ms ${String(k.count).padStart(5)}x ${((100 * k.ms) / total).toFixed(1).padStart(5)}%`);
  }
  optimizer.dispose();
  model.dispose();
  destroyDevice();
}

main().catch((e: Error) => {
  console.error(`bench:step: ${e.message}`);
  process.exit(1);
});
