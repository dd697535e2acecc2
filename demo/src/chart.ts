/**
 * A small line chart on a canvas, redrawn from scratch: the training loss per step (thin, with a
 * smoothed line over it) and the validation BCE after each epoch (dots), on a shared linear axis.
 */
export interface ChartData {
  /** Training loss by step. */
  loss: { step: number; loss: number }[];
  /** Validation BCE after each epoch, placed at the step the epoch ended. */
  validation: { step: number; loss: number }[];
  /** Steps planned (the x axis extent). */
  totalSteps: number;
}

const COLORS = { loss: '#9bb7d4', smooth: '#0072B2', validation: '#D55E00', axis: '#8a8f98', text: '#3b4048' };

/** Exponential moving average (the report's smoothing of loss curves). */
function smooth(values: number[], alpha = 0.3): number[] {
  const out: number[] = [];
  let s = values[0] ?? 0;
  for (const v of values) out.push((s = alpha * v + (1 - alpha) * s));
  return out;
}

/** Draws the chart at the canvas's CSS size (sharp on high-DPI screens). */
export function drawLossChart(canvas: HTMLCanvasElement, d: ChartData): void {
  const dpr = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 560;
  const height = canvas.clientHeight || 220;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const pad = { left: 44, right: 12, top: 12, bottom: 28 };
  const values = [...d.loss.map((p) => p.loss), ...d.validation.map((p) => p.loss)].filter(Number.isFinite);
  const hi = values.length ? Math.max(...values) : 1;
  const lo = values.length ? Math.min(...values) : 0;
  // The axis spans the data (losses sit far from 0 early on), with a margin.
  const margin = Math.max((hi - lo) * 0.1, hi * 0.01, 1e-6);
  const yMin = Math.max(0, lo - margin);
  const yMax = hi + margin;
  const xMax = Math.max(1, d.totalSteps);
  const x = (s: number) => pad.left + (s / xMax) * (width - pad.left - pad.right);
  const y = (v: number) => pad.top + (1 - (v - yMin) / (yMax - yMin)) * (height - pad.top - pad.bottom);

  ctx.font = '11px system-ui, sans-serif';
  ctx.strokeStyle = COLORS.axis;
  ctx.fillStyle = COLORS.text;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(pad.left, pad.top);
  ctx.lineTo(pad.left, height - pad.bottom);
  ctx.lineTo(width - pad.right, height - pad.bottom);
  ctx.stroke();
  for (let i = 0; i <= 4; i++) {
    const v = yMin + ((yMax - yMin) * i) / 4;
    ctx.fillText(v.toFixed(yMax - yMin < 0.1 ? 3 : 2), 6, y(v) + 4);
    ctx.strokeStyle = '#eceef1';
    ctx.beginPath();
    ctx.moveTo(pad.left + 1, y(v));
    ctx.lineTo(width - pad.right, y(v));
    ctx.stroke();
  }
  ctx.fillText('0', pad.left - 3, height - 10);
  const label = `${xMax} steps`;
  ctx.fillText(label, width - pad.right - ctx.measureText(label).width, height - 10);

  const line = (points: { step: number; loss: number }[], color: string, w: number) => {
    if (points.length < 1) return;
    ctx.strokeStyle = color;
    ctx.lineWidth = w;
    ctx.beginPath();
    points.forEach((p, i) => (i ? ctx.lineTo(x(p.step), y(p.loss)) : ctx.moveTo(x(p.step), y(p.loss))));
    ctx.stroke();
  };
  line(d.loss, COLORS.loss, 1);
  const s = smooth(d.loss.map((p) => p.loss));
  line(d.loss.map((p, i) => ({ step: p.step, loss: s[i] })), COLORS.smooth, 2);
  ctx.fillStyle = COLORS.validation;
  for (const p of d.validation) {
    ctx.beginPath();
    ctx.arc(x(p.step), y(p.loss), 4, 0, 2 * Math.PI);
    ctx.fill();
  }
  // legend
  const legend: [string, string][] = [['training loss (smoothed)', COLORS.smooth], ['validation BCE', COLORS.validation]];
  let lx = width - pad.right - 10;
  for (const [text, color] of legend.reverse()) {
    lx -= ctx.measureText(text).width + 22;
    ctx.fillStyle = color;
    ctx.fillRect(lx, pad.top + 2, 12, 3);
    ctx.fillStyle = COLORS.text;
    ctx.fillText(text, lx + 16, pad.top + 7);
  }
}
