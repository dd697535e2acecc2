/**
 * Stopping a run so that it can go on later. Ctrl-C (SIGINT) and SIGTERM set a flag that the
 * training loop polls after every step (TrainFusionOptions.stop); the loop then writes a
 * checkpoint at that step and returns, no later head starts, the report covers the heads that
 * finished, and the CLI prints the exact command that continues the run and exits 130 (SIGINT)
 * or 143 (SIGTERM), as a shell would. A second
 * signal exits at once: checkpoints are written atomically, so the previous one stays valid.
 * A ResumableError is a failure after which the last checkpoint is intact (the device was lost).
 */

/** A failure after which the run's last checkpoint is intact and `--resume` continues it. */
export class ResumableError extends Error {
  override name = 'ResumableError';
}

/** Exit codes of a run stopped by a signal (128 + the signal's number). */
export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

export type StopSignal = keyof typeof SIGNAL_EXIT_CODES;

/** The signal that asked the run to stop, while listening. */
export interface StopListener {
  /** The first stop signal received, or null. */
  readonly requested: StopSignal | null;
  /** Stops listening (restores the default handling). */
  dispose(): void;
}

/**
 * Listens for SIGINT and SIGTERM: the first sets `requested` and calls `onFirst` (to print what
 * happens next), a second exits the process at once with the signal's code.
 */
export function listenForStop(onFirst: (signal: StopSignal) => void): StopListener {
  let requested: StopSignal | null = null;
  const handler = (signal: StopSignal) => {
    if (requested) process.exit(SIGNAL_EXIT_CODES[signal]);
    requested = signal;
    onFirst(signal);
  };
  const onInt = () => handler('SIGINT');
  const onTerm = () => handler('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    get requested() {
      return requested;
    },
    dispose() {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}

/** A path quoted for a POSIX shell when it needs quoting. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

/** The command that continues the run in `out` (its settings come from run.json). */
export function resumeCommand(out: string): string {
  return `pnpm train --resume --out ${shellQuote(out)}`;
}
