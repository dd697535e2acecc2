/**
 * Device errors collected, not printed. Dawn's node bindings print every uncaptured error to
 * stderr, a block of lines each, so one oversized tensor used to produce dozens of blocks before
 * the error that stopped the run. The runtime keeps one error scope per filter open around all
 * of its work; every error lands in a scope (which keeps the first and drops the rest) instead of
 * being printed, and `drain()` (at each readback and sync) pops the scopes, reopens them, and
 * yields the first error for one message.
 */
const FILTERS: readonly GPUErrorFilter[] = ['validation', 'out-of-memory', 'internal'];

export class DeviceErrorCollector {
  constructor(private readonly device: GPUDevice) {
    this.open();
  }

  private open(): void {
    for (const filter of FILTERS) this.device.pushErrorScope(filter);
  }

  /**
   * Closes the open scopes and opens fresh ones (synchronously, so no GPU call falls between),
   * then waits for the closed ones: the first error any of them caught, or null.
   */
  async drain(wait: <T>(p: Promise<T>) => Promise<T>): Promise<GPUError | null> {
    const popped = FILTERS.map(() => this.device.popErrorScope().catch(() => null));
    this.open();
    for (const error of await wait(Promise.all(popped))) if (error) return error;
    return null;
  }
}

/** One error as one short message: Dawn's first line and the call it names (the kernel's label). */
export function summariseDeviceError(error: GPUError): string {
  const lines = error.message.split('\n').map((l) => l.trim()).filter(Boolean);
  const call = lines.find((l) => l.startsWith('- While calling') || l.startsWith('- While encoding'));
  return call && call !== lines[0] ? `${lines[0]} (${call.slice(2)})` : lines[0] ?? error.message;
}
