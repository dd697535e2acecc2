/** memory(): counters for leak checks and peak-memory reports. */
import { liveTensorCount } from './tensor.js';
import { runtime } from './gpu/runtime.js';

export interface MemoryInfo {
  /** Tensor handles not yet disposed (views and autograd's saved handles included). */
  liveTensors: number;
  /** Bytes of GPU buffers held by live storages. */
  liveBytes: number;
  /** Bytes of GPU buffers kept in the pool for reuse. */
  pooledBytes: number;
  pooledBuffers: number;
  /** Highest liveBytes since start or the last resetPeak(). */
  peakBytes: number;
  /** Dispatches recorded since start. */
  dispatches: number;
  submits: number;
}

export function memory(): MemoryInfo {
  const rt = runtime();
  const pool = rt.memoryStats();
  return {
    liveTensors: liveTensorCount(),
    liveBytes: pool.liveBytes,
    pooledBytes: pool.pooledBytes,
    pooledBuffers: pool.pooledBuffers,
    peakBytes: pool.peakBytes,
    dispatches: rt.stats.dispatches,
    submits: rt.stats.submits,
  };
}
