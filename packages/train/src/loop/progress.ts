/**
 * Per-epoch progress on stderr: a bar redrawn in place on a terminal, or a line every ~10% when
 * the output is a file or a CI log. Shows the running loss, images per second and the ETA.
 */

export interface ProgressLine {
  label: string;
  done: number;
  total: number;
  loss: number;
  imagesPerSecond: number;
  /** Seconds left in this epoch. */
  eta: number;
}

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return `${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export function formatProgress(p: ProgressLine, width = 24): string {
  const frac = p.total > 0 ? Math.min(1, p.done / p.total) : 1;
  const filled = Math.round(frac * width);
  const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
  const loss = Number.isFinite(p.loss) ? p.loss.toFixed(4) : '  -   ';
  return `${p.label} [${bar}] ${p.done}/${p.total} loss ${loss} ${p.imagesPerSecond.toFixed(1)} img/s eta ${clock(p.eta)}`;
}

export class Progress {
  private lastDecile = -1;
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr, private readonly quiet = false) {}

  update(p: ProgressLine): void {
    if (this.quiet) return;
    const text = formatProgress(p);
    if (this.stream.isTTY) {
      this.stream.write(`\r${text}\x1b[K`);
      if (p.done >= p.total) this.stream.write('\n');
      return;
    }
    const decile = Math.floor((10 * p.done) / Math.max(1, p.total));
    if (decile !== this.lastDecile || p.done >= p.total) {
      this.lastDecile = decile;
      this.stream.write(`${text}\n`);
    }
  }

  reset(): void {
    this.lastDecile = -1;
  }
}
