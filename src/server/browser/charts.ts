/**
 * Small canvas charts for the live panels: a line chart for training curves, scatter plots,
 * histograms with a density overlay, bar charts and image grids. Own code rather than
 * tfjs-vis: tfjs-vis renders through vega, which compiles expressions with `new Function`
 * and would need 'unsafe-eval' in the page's Content-Security-Policy.
 */

export const COLORS = [
  '#2458b3',
  '#c2410c',
  '#17803d',
  '#7c3aed',
  '#b45309',
  '#0e7490',
  '#be123c',
  '#4d7c0f',
  '#6b21a8',
  '#334155',
];

/** A canvas sized for the device pixel ratio, with its 2-D context in CSS pixels. */
export function makeCanvas(
  width: number,
  height: number,
  className = '',
): { canvas: HTMLCanvasElement; ctx: CanvasRenderingContext2D } {
  const canvas = document.createElement('canvas');
  const dpr = Math.min(2, window.devicePixelRatio || 1);
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  if (className) canvas.className = className;
  const ctx = canvas.getContext('2d')!;
  ctx.scale(dpr, dpr);
  return { canvas, ctx };
}

function niceTicks(lo: number, hi: number, n = 4): number[] {
  if (!(hi > lo)) return [lo];
  const step0 = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) out.push(Number(v.toPrecision(6)));
  return out;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

/** Plot frame: maps data ranges onto a canvas area and draws axes with ticks. */
class Frame {
  readonly left = 46;
  readonly right = 10;
  readonly top = 8;
  readonly bottom = 22;
  constructor(
    readonly ctx: CanvasRenderingContext2D,
    readonly w: number,
    readonly h: number,
    readonly x0: number,
    readonly x1: number,
    readonly y0: number,
    readonly y1: number,
  ) {}
  px(x: number): number {
    return this.left + ((x - this.x0) / (this.x1 - this.x0 || 1)) * (this.w - this.left - this.right);
  }
  py(y: number): number {
    return this.h - this.bottom - ((y - this.y0) / (this.y1 - this.y0 || 1)) * (this.h - this.top - this.bottom);
  }
  axes(xLabel = ''): void {
    const c = this.ctx;
    c.clearRect(0, 0, this.w, this.h);
    c.font = '10px ui-sans-serif, system-ui, sans-serif';
    c.strokeStyle = '#e5e9ef';
    c.fillStyle = '#5b6673';
    c.lineWidth = 1;
    c.textAlign = 'right';
    c.textBaseline = 'middle';
    for (const t of niceTicks(this.y0, this.y1)) {
      const y = this.py(t);
      c.beginPath();
      c.moveTo(this.left, y);
      c.lineTo(this.w - this.right, y);
      c.stroke();
      c.fillText(fmt(t), this.left - 4, y);
    }
    c.textAlign = 'center';
    c.textBaseline = 'top';
    for (const t of niceTicks(this.x0, this.x1, 5)) c.fillText(fmt(t), this.px(t), this.h - this.bottom + 4);
    if (xLabel) {
      c.textAlign = 'right';
      c.fillText(xLabel, this.w - this.right, this.h - 11);
    }
    c.strokeStyle = '#9aa5b1';
    c.beginPath();
    c.moveTo(this.left, this.top);
    c.lineTo(this.left, this.h - this.bottom);
    c.lineTo(this.w - this.right, this.h - this.bottom);
    c.stroke();
  }
}

export interface Point {
  step: number;
  value: number;
}

/**
 * A training-curve chart: one line per series, redrawn on `update`. The number of points
 * is mirrored in `data-points` (tests read it) and the series in `data-series`.
 */
export class LineChart {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private series: Record<string, Point[]> = {};

  constructor(
    readonly width = 460,
    readonly height = 190,
    readonly xLabel = 'step',
  ) {
    ({ canvas: this.canvas, ctx: this.ctx } = makeCanvas(width, height, 'chart'));
    this.canvas.dataset.points = '0';
    this.draw();
  }

  update(series: Record<string, Point[]>): void {
    this.series = series;
    const counts = Object.values(series).map((s) => s.length);
    this.canvas.dataset.points = String(counts.length ? Math.max(...counts) : 0);
    this.canvas.dataset.series = JSON.stringify(
      Object.fromEntries(Object.entries(series).map(([k, s]) => [k, s.map((p) => p.value)])),
    );
    this.draw();
  }

  private draw(): void {
    const all = Object.values(this.series)
      .flat()
      .filter((p) => Number.isFinite(p.value));
    if (!all.length) {
      const f = new Frame(this.ctx, this.width, this.height, 0, 1, 0, 1);
      f.axes(this.xLabel);
      this.ctx.fillStyle = '#9aa5b1';
      this.ctx.textAlign = 'center';
      this.ctx.fillText('press Start or Step', this.width / 2, this.height / 2);
      return;
    }
    // Robust y range: ignore the first 5% of points when they dwarf the rest (early transients).
    const values = all.map((p) => p.value).sort((a, b) => a - b);
    const lo = values[0];
    let hi = values[Math.max(0, Math.floor(values.length * 0.97) - 1)];
    if (hi <= lo) hi = values[values.length - 1];
    if (hi <= lo) hi = lo + 1;
    const pad = (hi - lo) * 0.06;
    const steps = all.map((p) => p.step);
    const f = new Frame(
      this.ctx,
      this.width,
      this.height,
      Math.min(...steps),
      Math.max(Math.max(...steps), Math.min(...steps) + 1),
      lo - pad,
      hi + pad,
    );
    f.axes(this.xLabel);
    const c = this.ctx;
    c.save();
    c.beginPath();
    c.rect(f.left, f.top, this.width - f.left - f.right, this.height - f.top - f.bottom);
    c.clip();
    Object.values(this.series).forEach((pts, i) => {
      c.strokeStyle = COLORS[i % COLORS.length];
      c.lineWidth = 1.6;
      c.beginPath();
      pts.forEach((p, j) => (j ? c.lineTo(f.px(p.step), f.py(p.value)) : c.moveTo(f.px(p.step), f.py(p.value))));
      c.stroke();
    });
    c.restore();
  }
}

/** Scatter plot of 2-D points; `groups` colours points by an integer label. */
export function drawScatter(
  ctx: CanvasRenderingContext2D,
  w: number,
  h: number,
  sets: { x: ArrayLike<number>; y: ArrayLike<number>; color?: string; labels?: ArrayLike<number>; radius?: number }[],
  range?: { x0: number; x1: number; y0: number; y1: number },
): void {
  let r = range;
  if (!r) {
    const xs = sets.flatMap((s) => Array.from(s.x));
    const ys = sets.flatMap((s) => Array.from(s.y));
    r = { x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys), y1: Math.max(...ys) };
    const px = (r.x1 - r.x0) * 0.05 || 1;
    const py = (r.y1 - r.y0) * 0.05 || 1;
    r = { x0: r.x0 - px, x1: r.x1 + px, y0: r.y0 - py, y1: r.y1 + py };
  }
  const f = new Frame(ctx, w, h, r.x0, r.x1, r.y0, r.y1);
  f.axes();
  for (const s of sets) {
    const rad = s.radius ?? 1.6;
    for (let i = 0; i < s.x.length; i++) {
      ctx.fillStyle = s.labels ? COLORS[s.labels[i] % COLORS.length] : (s.color ?? COLORS[0]);
      ctx.globalAlpha = 0.65;
      ctx.beginPath();
      ctx.arc(f.px(s.x[i]), f.py(s.y[i]), rad, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
  ctx.globalAlpha = 1;
}

/** Histograms of several samples on shared bins, with optional density curves (pdf(x)). */
export function drawHistogram(
  ctx: CanvasRenderingContext2D,
  w: number,
  h: number,
  samples: { values: ArrayLike<number>; color: string }[],
  curves: { pdf: (x: number) => number; color: string }[],
  range: [number, number],
  bins = 40,
): void {
  const [lo, hi] = range;
  const width = (hi - lo) / bins;
  const dens = samples.map((s) => {
    const counts = new Float64Array(bins);
    let n = 0;
    for (let i = 0; i < s.values.length; i++) {
      const b = Math.floor((s.values[i] - lo) / width);
      if (b >= 0 && b < bins) counts[b]++;
      n++;
    }
    return Array.from(counts, (c) => c / Math.max(1, n) / width);
  });
  let ymax = Math.max(1e-6, ...dens.flat());
  for (const c of curves) for (let i = 0; i <= 100; i++) ymax = Math.max(ymax, c.pdf(lo + ((hi - lo) * i) / 100));
  const f = new Frame(ctx, w, h, lo, hi, 0, ymax * 1.08);
  f.axes();
  dens.forEach((d, si) => {
    ctx.fillStyle = samples[si].color;
    ctx.globalAlpha = 0.4;
    d.forEach((v, b) => {
      const x = f.px(lo + b * width);
      const x2 = f.px(lo + (b + 1) * width);
      ctx.fillRect(x, f.py(v), x2 - x - 0.5, f.py(0) - f.py(v));
    });
  });
  ctx.globalAlpha = 1;
  for (const c of curves) {
    ctx.strokeStyle = c.color;
    ctx.lineWidth = 1.8;
    ctx.beginPath();
    for (let i = 0; i <= 120; i++) {
      const x = lo + ((hi - lo) * i) / 120;
      if (i) ctx.lineTo(f.px(x), f.py(c.pdf(x)));
      else ctx.moveTo(f.px(x), f.py(c.pdf(x)));
    }
    ctx.stroke();
  }
}

/** A bar chart, one bar per value, labelled under the axis. */
export function drawBars(
  ctx: CanvasRenderingContext2D,
  w: number,
  h: number,
  values: ArrayLike<number>,
  labels: string[],
  color = COLORS[0],
): void {
  const vmax = Math.max(1e-6, ...Array.from(values));
  const f = new Frame(ctx, w, h, 0, values.length, 0, vmax * 1.1);
  f.axes();
  ctx.clearRect(f.left - 12, h - f.bottom + 1, w, f.bottom);
  const bw = (w - f.left - f.right) / values.length;
  ctx.fillStyle = color;
  ctx.font = '10px ui-sans-serif, system-ui, sans-serif';
  ctx.textAlign = 'center';
  for (let i = 0; i < values.length; i++) {
    const x = f.px(i);
    ctx.fillStyle = color;
    ctx.fillRect(x + bw * 0.15, f.py(values[i]), bw * 0.7, f.py(0) - f.py(values[i]));
    ctx.fillStyle = '#5b6673';
    ctx.fillText(labels[i] ?? String(i), x + bw / 2, h - f.bottom + 4);
  }
}

/**
 * Draws grey-level images (values in [0, 1], each `side` x `side`, row-major) in a grid of
 * `cols` columns onto a canvas whose pixel size is exactly the grid (CSS scales it up).
 */
export function imageGridCanvas(
  pixels: ArrayLike<number>,
  count: number,
  side: number,
  cols: number,
): HTMLCanvasElement {
  const rows = Math.ceil(count / cols);
  const gap = 1;
  const canvas = document.createElement('canvas');
  canvas.width = cols * (side + gap) - gap;
  canvas.height = rows * (side + gap) - gap;
  canvas.className = 'pixelated';
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(canvas.width, canvas.height);
  img.data.fill(255);
  for (let n = 0; n < count; n++) {
    const ox = (n % cols) * (side + gap);
    const oy = Math.floor(n / cols) * (side + gap);
    for (let r = 0; r < side; r++) {
      for (let c = 0; c < side; c++) {
        const v = 255 - Math.round(255 * Math.min(1, Math.max(0, pixels[n * side * side + r * side + c])));
        const o = ((oy + r) * canvas.width + ox + c) * 4;
        img.data[o] = v;
        img.data[o + 1] = v;
        img.data[o + 2] = v;
        img.data[o + 3] = 255;
      }
    }
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}
