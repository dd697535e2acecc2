/**
 * The peer: TensorFlow.js 4.22 with its WebGPU backend, on the same Dawn instance (so the same
 * adapter) as Fusion, in the same process. `loadTfjs` installs `navigator.gpu` before importing the
 * backend (it reads it when its module loads) and imports `@tensorflow/tfjs` (the Node build of
 * tfjs-core registers no gradients; the union package does). `timePeer` times the peer's work on
 * the clock Fusion's row used: 'timestamp' sums the GPU time of its programs from TF.js's own
 * timestamp queries (`tf.time().kernelMs`: each program in its own compute pass), 'wall' is host
 * time until its batched commands are submitted and done. Its CPU forwarding of small ops
 * (WEBGPU_CPU_FORWARD) is turned off, so every op runs as a WebGPU kernel.
 */
import { gpuWait } from '@fusion/tensor';
import type { Clock, Sample } from './measure.js';

export type Tf = typeof import('@tensorflow/tfjs');

/** The parts of TF.js's WebGPU backend the timer touches (its internals, verified on 4.22). */
interface WebGpuBackendInternals {
  supportTimestampQuery: boolean;
  commandEncoder: GPUCommandEncoder | null;
  queue: GPUQueue;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

export interface Peer {
  tf: Tf;
  /** 'tfjs-webgpu 4.22.0'. */
  name: string;
}

let loaded: Promise<Peer> | null = null;

/** Imports TF.js and makes its WebGPU backend current, on `gpu` (Fusion's Dawn instance). Once. */
export function loadTfjs(gpu: GPU): Promise<Peer> {
  loaded ??= (async () => {
    const g = globalThis as { navigator?: { gpu?: GPU } };
    if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    const tf = (await import('@tensorflow/tfjs')) as Tf;
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js: the webgpu backend failed to initialise on this adapter');
    await tf.ready();
    // Otherwise small ops on tensors not yet uploaded run on TF.js's CPU backend, untimed by
    // the GPU clock: the peer is measured on its WebGPU kernels only.
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    return { tf, name: `tfjs-webgpu ${tf.version.tfjs}` };
  })();
  return loaded;
}

function internals(tf: Tf): WebGpuBackendInternals {
  return tf.backend() as unknown as WebGpuBackendInternals;
}

/** Submits the peer's batched commands and waits until the GPU has finished them. */
export async function syncPeer(tf: Tf): Promise<void> {
  const b = internals(tf);
  if (b.commandEncoder) {
    b.endComputePassEncoder();
    b.submitQueue();
  }
  await gpuWait(b.queue.onSubmittedWorkDone());
}

/**
 * Times the peer's `fn` (synchronous; the tensors it creates are freed) on `clock`. With
 * 'timestamp' and a device without timestamp queries it falls back to 'wall' and says so.
 */
export async function timePeer(tf: Tf, fn: () => void, clock: Clock): Promise<Sample> {
  await syncPeer(tf);
  const start = performance.now();
  if (clock === 'timestamp' && internals(tf).supportTimestampQuery) {
    // The same polling as Fusion's waits (gpuWait): Dawn's busy poll would take a core from
    // the CPU adapter while the peer's work runs.
    const info = await gpuWait(tf.time(() => tf.tidy(() => {
      fn();
    })));
    await syncPeer(tf);
    return { ms: info.kernelMs as number, clock: 'timestamp', wallMs: performance.now() - start };
  }
  tf.tidy(() => {
    fn();
  });
  await syncPeer(tf);
  const wallMs = performance.now() - start;
  return { ms: wallMs, clock: 'wall', wallMs };
}
