/**
 * Device loss, recorded once: when the device in use is lost (a driver reset, an out-of-memory
 * kill, or `device.destroy()` by someone else), every later GPU call raises a DeviceLostError
 * that says so, instead of Dawn's empty AbortError or a "call init()" hint. device.ts notes each
 * loss of the device in use and clears the note when a new device is acquired; `gpuWait` turns a
 * rejected device promise into this error while a loss is noted. Deliberate destruction through
 * `destroyDevice()` is not a loss (the device is no longer in use when it goes).
 */

/** The WebGPU device was lost; `reason` and `detail` are what Dawn reported. */
export class DeviceLostError extends Error {
  override name = 'DeviceLostError';
  constructor(readonly reason: string, readonly detail: string) {
    super(`the WebGPU device was lost (${reason}${detail ? `: ${detail}` : ''}); GPU work recorded since the last readback did not run`);
  }
}

let loss: { reason: string; detail: string } | null = null;

/** Records the loss of the device in use (called by device.ts). */
export function noteDeviceLost(reason: string, detail: string): void {
  loss = { reason, detail };
}

/** Forgets a recorded loss (a new device was acquired). */
export function clearDeviceLoss(): void {
  loss = null;
}

/** The error for the recorded loss, or null while the device is healthy. */
export function deviceLostError(): DeviceLostError | null {
  return loss ? new DeviceLostError(loss.reason, loss.detail) : null;
}
