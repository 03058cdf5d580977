/**
 * Small plots as PNG files, for the lesson scripts (Node only: PNG encoding uses pngjs/zlib).
 *
 *   imageGrid   grey images in a grid (e.g. 10 x 10 MNIST digits), optional row labels
 *   lineChart   curves with axes, tick labels, axis labels and a legend (optionally log-y)
 *   histogram   overlaid histograms, optionally with reference curves (a density)
 *   scatter     2-D points coloured by label, with a legend
 *   barChart    one bar per entry (e.g. KL per latent dimension)
 *   hstack      rasters side by side (compare two models)
 *
 * Everything draws into a `Raster` (RGBA bytes) with a built-in 5x7 bitmap font, so
 * nothing beyond pngjs is needed; `writePng(file, raster)` saves it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { ConfigError, InputError, checkInt } from '../core/errors';

export type Rgb = [number, number, number];

/** The tab10 palette (matplotlib's default colour cycle). */
export const PALETTE: Rgb[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
];
const BLACK: Rgb = [0, 0, 0];
const GREY: Rgb = [225, 225, 225];
const DARK: Rgb = [90, 90, 90];

// 5x7 font for ASCII 32..126: 5 column bytes per glyph, bit 0 = top row (the classic LCD font).
const FONT_HEX =
  '0000000000' +
  '00005f0000' +
  '0007000700' +
  '147f147f14' +
  '242a7f2a12' +
  '2313086462' +
  '3649552250' +
  '0005030000' +
  '001c224100' +
  '0041221c00' +
  '14083e0814' +
  '08083e0808' +
  '0050300000' +
  '0808080808' +
  '0060600000' +
  '2010080402' +
  '3e5149453e' +
  '00427f4000' +
  '4261514946' +
  '2141454b31' +
  '1814127f10' +
  '2745454539' +
  '3c4a494930' +
  '0171090503' +
  '3649494936' +
  '064949291e' +
  '0036360000' +
  '0056360000' +
  '0814224100' +
  '1414141414' +
  '0041221408' +
  '0201510906' +
  '324979413e' +
  '7e1111117e' +
  '7f49494936' +
  '3e41414122' +
  '7f4141221c' +
  '7f49494941' +
  '7f09090901' +
  '3e4149497a' +
  '7f0808087f' +
  '00417f4100' +
  '2040413f01' +
  '7f08142241' +
  '7f40404040' +
  '7f020c027f' +
  '7f0408107f' +
  '3e4141413e' +
  '7f09090906' +
  '3e4151215e' +
  '7f09192946' +
  '4649494931' +
  '01017f0101' +
  '3f4040403f' +
  '1f2040201f' +
  '3f4038403f' +
  '6314081463' +
  '0708700807' +
  '6151494543' +
  '007f414100' +
  '0204081020' +
  '0041417f00' +
  '0402010204' +
  '4040404040' +
  '0001020400' +
  '2054545478' +
  '7f48444438' +
  '3844444420' +
  '384444487f' +
  '3854545418' +
  '087e090102' +
  '0c5252523e' +
  '7f08040478' +
  '00447d4000' +
  '2040443d00' +
  '7f10284400' +
  '00417f4000' +
  '7c04180478' +
  '7c08040478' +
  '3844444438' +
  '7c14141408' +
  '081414187c' +
  '7c08040408' +
  '4854545420' +
  '043f444020' +
  '3c4040207c' +
  '1c2040201c' +
  '3c4030403c' +
  '4428102844' +
  '0c5050503c' +
  '4464544c44' +
  '0008364100' +
  '00007f0000' +
  '0041360800' +
  '0804081008';
const GLYPH_W = 5;
const GLYPH_H = 7;
/** Horizontal advance of one character at scale 1 (5 px glyph + 1 px space). */
export const CHAR_W = 6;
/** Line height at scale 1. */
export const CHAR_H = 9;

/** An RGBA image in memory, white by default, with a few drawing primitives. */
export class Raster {
  readonly data: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = [255, 255, 255],
  ) {
    checkInt('width', width, 1, 16384);
    checkInt('height', height, 1, 16384);
    this.data = new Uint8Array(width * height * 4);
    this.fillRect(0, 0, width, height, background);
  }

  /** Sets one pixel, blending with `alpha` in [0, 1]; pixels outside are ignored. */
  set(x: number, y: number, rgb: Rgb, alpha = 1): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = 4 * (y * this.width + x);
    for (let c = 0; c < 3; c++) this.data[i + c] = Math.round(alpha * rgb[c] + (1 - alpha) * this.data[i + c]);
    this.data[i + 3] = 255;
  }

  fillRect(x: number, y: number, w: number, h: number, rgb: Rgb, alpha = 1): void {
    const x0 = Math.max(0, Math.round(x)),
      y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w)),
      y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) this.set(xx, yy, rgb, alpha);
  }

  /** A straight line (Bresenham), `thickness` pixels wide. */
  line(x0: number, y0: number, x1: number, y1: number, rgb: Rgb, thickness = 1): void {
    x0 = Math.round(x0);
    y0 = Math.round(y0);
    x1 = Math.round(x1);
    y1 = Math.round(y1);
    const dx = Math.abs(x1 - x0),
      dy = -Math.abs(y1 - y0);
    const sx = x0 < x1 ? 1 : -1,
      sy = y0 < y1 ? 1 : -1;
    let err = dx + dy;
    const r0 = -Math.floor((thickness - 1) / 2),
      r1 = r0 + thickness;
    for (let guard = 0; guard < 100000; guard++) {
      for (let a = r0; a < r1; a++) for (let b = r0; b < r1; b++) this.set(x0 + a, y0 + b, rgb);
      if (x0 === x1 && y0 === y1) break;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x0 += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y0 += sy;
      }
    }
  }

  /** Text with the built-in font; (x, y) is the top left. `vertical` writes bottom-to-top. */
  text(x: number, y: number, s: string, rgb: Rgb = BLACK, scale = 1, vertical = false): void {
    let pen = 0;
    for (const ch of s) {
      let code = ch.charCodeAt(0);
      if (code < 32 || code > 126) code = 63; // '?'
      const off = (code - 32) * 10;
      for (let col = 0; col < GLYPH_W; col++) {
        const bits = parseInt(FONT_HEX.slice(off + 2 * col, off + 2 * col + 2), 16);
        for (let row = 0; row < GLYPH_H; row++) {
          if (!((bits >> row) & 1)) continue;
          const gx = pen + col * scale,
            gy = row * scale;
          if (vertical) this.fillRect(x + gy, y - gx - scale, scale, scale, rgb);
          else this.fillRect(x + gx, y + gy, scale, scale, rgb);
        }
      }
      pen += CHAR_W * scale;
    }
  }

  /** Copies `src` with its top left at (x, y). */
  blit(src: Raster, x: number, y: number): void {
    for (let yy = 0; yy < src.height; yy++) {
      for (let xx = 0; xx < src.width; xx++) {
        const i = 4 * (yy * src.width + xx);
        this.set(x + xx, y + yy, [src.data[i], src.data[i + 1], src.data[i + 2]]);
      }
    }
  }
}

/** Width in pixels of `s` drawn at `scale`. */
export function textWidth(s: string, scale = 1): number {
  return Math.max(0, s.length * CHAR_W * scale - scale);
}

/** Encodes a raster as PNG bytes. */
export function encodePng(r: Raster): Buffer {
  const png = new PNG({ width: r.width, height: r.height });
  png.data = Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength);
  return PNG.sync.write(png);
}

/** Writes a raster to `file` as PNG (creating the folder); returns the path. */
export function writePng(file: string, r: Raster): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, encodePng(r));
  return file;
}

/**
 * Grey images in a grid. `images` holds `count` images of height x width values in [0, 1]
 * (values outside are clipped for display), row-major, one after the other.
 */
export function imageGrid(
  images: ArrayLike<number>,
  {
    count,
    height,
    width,
    cols = 10,
    scale = 2,
    pad = 2,
    title,
    rowLabels,
  }: {
    count: number;
    height: number;
    width: number;
    cols?: number;
    scale?: number;
    pad?: number;
    title?: string;
    rowLabels?: string[];
  },
): Raster {
  checkInt('count', count, 1);
  checkInt('cols', cols, 1);
  checkInt('scale', scale, 1, 32);
  if (images.length < count * height * width) {
    throw new InputError(
      'images',
      `has ${images.length} values, need count * height * width = ${count * height * width}`,
    );
  }
  const rows = Math.ceil(count / cols);
  const left = rowLabels ? Math.max(...rowLabels.map((l) => textWidth(l))) + 8 : 0;
  const top = title ? CHAR_H + 8 : 0;
  const cell = (n: number) => n * scale + pad;
  const r = new Raster(left + cols * cell(width) + pad, top + rows * cell(height) + pad, [215, 215, 215]);
  if (title) r.text(pad, 4, title);
  for (let i = 0; i < count; i++) {
    const gx = left + pad + (i % cols) * cell(width);
    const gy = top + pad + Math.floor(i / cols) * cell(height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = Math.round(255 * Math.min(1, Math.max(0, images[i * height * width + y * width + x])));
        r.fillRect(gx + x * scale, gy + y * scale, scale, scale, [255 - v, 255 - v, 255 - v]);
      }
    }
  }
  rowLabels?.forEach((label, row) => r.text(2, top + pad + row * cell(height) + (height * scale - GLYPH_H) / 2, label));
  return r;
}

/** "Nice" tick positions covering [lo, hi] (1, 2, 5 x 10^k steps). */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let k = Math.ceil(lo / step); k * step <= hi + step * 1e-9; k++)
    ticks.push(k === 0 ? 0 : Number((k * step).toPrecision(12)));
  return ticks;
}

/** A short label for a tick value. */
export function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e5 || a < 1e-3) return v.toExponential(0).replace('e+', 'e');
  return String(Number(v.toPrecision(4)));
}

interface Axes {
  r: Raster;
  px(x: number): number;
  py(y: number): number;
  plot: { x: number; y: number; w: number; h: number };
}

/** Draws a frame, grid, ticks, tick labels, axis labels and a title; returns the coordinate maps. */
function axes({
  width,
  height,
  title,
  xLabel,
  yLabel,
  xRange,
  yRange,
  logY = false,
}: {
  width: number;
  height: number;
  title?: string;
  xLabel?: string;
  yLabel?: string;
  xRange: [number, number];
  yRange: [number, number];
  logY?: boolean;
}): Axes {
  const r = new Raster(width, height);
  const [y0, y1] = logY ? [Math.log10(yRange[0]), Math.log10(yRange[1])] : yRange;
  const yTicks = logY
    ? niceTicks(y0, y1)
        .filter((t) => Number.isInteger(t))
        .map((t) => 10 ** t)
    : niceTicks(y0, y1);
  const tickW = Math.max(...yTicks.map((t) => textWidth(formatTick(t))), 10);
  const plot = { x: tickW + 8 + (yLabel ? CHAR_H + 4 : 0), y: title ? CHAR_H * 2 + 4 : 10, w: 0, h: 0 };
  plot.w = width - plot.x - 12;
  plot.h = height - plot.y - (xLabel ? 2 * CHAR_H + 10 : CHAR_H + 10);
  if (plot.w < 20 || plot.h < 20)
    throw new ConfigError('width', `plot of ${width}x${height} px is too small for its labels`);
  const [xa, xb] = xRange[1] > xRange[0] ? xRange : [xRange[0] - 1, xRange[0] + 1];
  const [ya, yb] = y1 > y0 ? [y0, y1] : [y0 - 1, y0 + 1];
  const px = (x: number) => plot.x + ((x - xa) / (xb - xa)) * plot.w;
  const py = (y: number) => plot.y + plot.h - (((logY ? Math.log10(y) : y) - ya) / (yb - ya)) * plot.h;
  for (const t of yTicks) {
    const yy = Math.round(py(t));
    if (yy < plot.y - 1 || yy > plot.y + plot.h + 1) continue;
    r.line(plot.x, yy, plot.x + plot.w, yy, GREY);
    const s = formatTick(t);
    r.text(plot.x - 5 - textWidth(s), yy - 3, s, DARK);
  }
  for (const t of niceTicks(xa, xb)) {
    const xx = Math.round(px(t));
    if (xx < plot.x - 1 || xx > plot.x + plot.w + 1) continue;
    r.line(xx, plot.y, xx, plot.y + plot.h, GREY);
    const s = formatTick(t);
    r.text(xx - textWidth(s) / 2, plot.y + plot.h + 5, s, DARK);
  }
  r.line(plot.x, plot.y, plot.x, plot.y + plot.h, BLACK);
  r.line(plot.x, plot.y + plot.h, plot.x + plot.w, plot.y + plot.h, BLACK);
  if (title) r.text(Math.max(2, (width - textWidth(title)) / 2), 4, title);
  if (xLabel) r.text(plot.x + (plot.w - textWidth(xLabel)) / 2, height - CHAR_H - 2, xLabel);
  if (yLabel) r.text(2, plot.y + (plot.h + textWidth(yLabel)) / 2, yLabel, BLACK, 1, true);
  return { r, px, py, plot };
}

/** A legend box in the top-right (or `corner`) of the plot area. */
function legend(
  a: Axes,
  entries: { name: string; color: Rgb }[],
  corner: 'top-right' | 'bottom-right' = 'top-right',
): void {
  if (entries.length === 0) return;
  const w = Math.max(...entries.map((e) => textWidth(e.name))) + 24;
  const h = entries.length * CHAR_H + 6;
  const x = a.plot.x + a.plot.w - w - 4;
  const y = corner === 'top-right' ? a.plot.y + 4 : a.plot.y + a.plot.h - h - 4;
  a.r.fillRect(x, y, w, h, [255, 255, 255], 0.9);
  a.r.line(x, y, x + w, y, DARK);
  a.r.line(x, y + h, x + w, y + h, DARK);
  a.r.line(x, y, x, y + h, DARK);
  a.r.line(x + w, y, x + w, y + h, DARK);
  entries.forEach((e, i) => {
    const yy = y + 4 + i * CHAR_H;
    a.r.fillRect(x + 4, yy + 1, 12, 5, e.color);
    a.r.text(x + 20, yy, e.name);
  });
}

function extent(values: number[], pad = 0.05, logY = false): [number, number] {
  const finite = values.filter((v) => Number.isFinite(v) && (!logY || v > 0));
  if (finite.length === 0) throw new InputError('values', 'no finite values to plot');
  let lo = Math.min(...finite),
    hi = Math.max(...finite);
  if (logY) return [lo, hi > lo ? hi : lo * 10];
  if (hi === lo) {
    lo -= 1;
    hi += 1;
  }
  const m = (hi - lo) * pad;
  return [lo - m, hi + m];
}

/** One curve of a line chart. */
export interface Series {
  name: string;
  x: number[];
  y: number[];
  color?: Rgb;
}

/** Curves with axes, ticks and a legend (series of at most 30 points get a marker per point). `logY` uses a log10 y axis. */
export function lineChart({
  series,
  title,
  xLabel,
  yLabel,
  width = 640,
  height = 400,
  logY = false,
  yRange,
  legendCorner,
}: {
  series: Series[];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  logY?: boolean;
  yRange?: [number, number];
  legendCorner?: 'top-right' | 'bottom-right';
}): Raster {
  if (series.length === 0) throw new InputError('series', 'needs at least one series');
  series.forEach((s, i) => {
    if (s.x.length !== s.y.length) throw new InputError(`series[${i}]`, `x has ${s.x.length} values, y ${s.y.length}`);
  });
  const xs = series.flatMap((s) => s.x);
  const ys = series.flatMap((s) => s.y);
  const a = axes({
    width,
    height,
    title,
    xLabel,
    yLabel,
    xRange: extent(xs, 0),
    yRange: yRange ?? extent(ys, 0.05, logY),
    logY,
  });
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    for (let j = 1; j < s.x.length; j++) {
      if (![s.y[j - 1], s.y[j]].every((v) => Number.isFinite(v) && (!logY || v > 0))) continue;
      a.r.line(a.px(s.x[j - 1]), clampY(a, a.py(s.y[j - 1])), a.px(s.x[j]), clampY(a, a.py(s.y[j])), color, 2);
    }
    if (s.x.length <= 30) {
      // few points: mark each one
      s.x.forEach((x, j) => {
        if (Number.isFinite(s.y[j]) && (!logY || s.y[j] > 0)) a.r.fillRect(a.px(x) - 2, a.py(s.y[j]) - 2, 5, 5, color);
      });
    }
  });
  legend(
    a,
    series.map((s, i) => ({ name: s.name, color: s.color ?? PALETTE[i % PALETTE.length] })),
    legendCorner,
  );
  return a.r;
}

function clampY(a: Axes, y: number): number {
  return Math.min(a.plot.y + a.plot.h, Math.max(a.plot.y, y));
}

/**
 * Overlaid histograms (semi-transparent bars) of each series' values over a shared range,
 * as densities (area 1) so they compare with `curves` such as a normal density.
 */
export function histogram({
  series,
  bins = 40,
  range,
  title,
  xLabel,
  yLabel = 'density',
  width = 640,
  height = 400,
  curves = [],
}: {
  series: { name: string; values: ArrayLike<number>; color?: Rgb }[];
  bins?: number;
  range?: [number, number];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  curves?: Series[];
}): Raster {
  checkInt('bins', bins, 1, 1000);
  if (series.length === 0) throw new InputError('series', 'needs at least one series');
  const all = series.flatMap((s) => Array.from(s.values));
  const [lo, hi] = range ?? extent(all, 0.02);
  const bw = (hi - lo) / bins;
  const dens = series.map((s) => {
    const counts = new Float64Array(bins);
    let n = 0;
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i];
      if (!Number.isFinite(v)) continue;
      n++;
      const b = Math.floor((v - lo) / bw);
      if (b >= 0 && b < bins) counts[b]++;
      else if (v === hi) counts[bins - 1]++;
    }
    return Array.from(counts, (c) => c / Math.max(1, n) / bw);
  });
  const top = Math.max(...dens.flat(), ...curves.flatMap((c) => c.y));
  const a = axes({ width, height, title, xLabel, yLabel, xRange: [lo, hi], yRange: [0, top * 1.08] });
  dens.forEach((d, si) => {
    const color = series[si].color ?? PALETTE[si % PALETTE.length];
    d.forEach((v, b) => {
      const x0 = a.px(lo + b * bw),
        x1 = a.px(lo + (b + 1) * bw),
        y = a.py(v);
      a.r.fillRect(x0, y, Math.max(1, x1 - x0), a.plot.y + a.plot.h - y, color, 0.45);
      a.r.line(x0, y, x1, y, color);
    });
  });
  for (const c of curves) {
    const color = c.color ?? BLACK;
    for (let j = 1; j < c.x.length; j++)
      a.r.line(a.px(c.x[j - 1]), clampY(a, a.py(c.y[j - 1])), a.px(c.x[j]), clampY(a, a.py(c.y[j])), color, 2);
  }
  legend(a, [
    ...series.map((s, i) => ({ name: s.name, color: s.color ?? PALETTE[i % PALETTE.length] })),
    ...curves.map((c) => ({ name: c.name, color: c.color ?? BLACK })),
  ]);
  return a.r;
}

/** 2-D points coloured by integer label (`labelNames[label]` in the legend). */
export function scatter({
  x,
  y,
  labels,
  labelNames,
  title,
  xLabel,
  yLabel,
  width = 480,
  height = 480,
  pointSize = 2,
  xRange,
  yRange,
}: {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  labels?: ArrayLike<number>;
  labelNames?: string[];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  pointSize?: number;
  xRange?: [number, number];
  yRange?: [number, number];
}): Raster {
  if (x.length !== y.length) throw new InputError('y', `has ${y.length} values, x has ${x.length}`);
  if (labels && labels.length !== x.length)
    throw new InputError('labels', `has ${labels.length} values, x has ${x.length}`);
  const a = axes({
    width,
    height,
    title,
    xLabel,
    yLabel,
    xRange: xRange ?? extent(Array.from(x)),
    yRange: yRange ?? extent(Array.from(y)),
  });
  for (let i = 0; i < x.length; i++) {
    const color = PALETTE[(labels ? labels[i] : 0) % PALETTE.length];
    const cx = a.px(x[i]),
      cy = a.py(y[i]);
    if (cx < a.plot.x || cx > a.plot.x + a.plot.w || cy < a.plot.y || cy > a.plot.y + a.plot.h) continue;
    a.r.fillRect(cx - pointSize / 2, cy - pointSize / 2, pointSize, pointSize, color, 0.8);
  }
  if (labels) {
    const present = [...new Set(Array.from(labels))].sort((p, q) => p - q);
    legend(
      a,
      present.map((l) => ({ name: labelNames?.[l] ?? String(l), color: PALETTE[l % PALETTE.length] })),
    );
  }
  return a.r;
}

/** One bar per value, at x = 0..n-1. */
export function barChart({
  values,
  title,
  xLabel,
  yLabel,
  width = 640,
  height = 360,
  color = PALETTE[0],
}: {
  values: ArrayLike<number>;
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  color?: Rgb;
}): Raster {
  const n = values.length;
  if (n === 0) throw new InputError('values', 'needs at least one value');
  const vals = Array.from(values);
  const a = axes({
    width,
    height,
    title,
    xLabel,
    yLabel,
    xRange: [-0.5, n - 0.5],
    yRange: [Math.min(0, ...vals), Math.max(0, ...vals) * 1.08 || 1],
  });
  vals.forEach((v, i) => {
    const x0 = a.px(i - 0.4),
      x1 = a.px(i + 0.4);
    const y0 = a.py(Math.max(0, v)),
      y1 = a.py(Math.min(0, v));
    a.r.fillRect(x0, y0, Math.max(1, x1 - x0), Math.max(1, y1 - y0), color);
  });
  return a.r;
}

/** Rasters side by side (top-aligned), `gap` pixels apart. */
export function hstack(rasters: Raster[], gap = 8): Raster {
  if (rasters.length === 0) throw new InputError('rasters', 'needs at least one raster');
  const out = new Raster(
    rasters.reduce((w, r) => w + r.width, 0) + gap * (rasters.length - 1),
    Math.max(...rasters.map((r) => r.height)),
  );
  let x = 0;
  for (const r of rasters) {
    out.blit(r, x, 0);
    x += r.width + gap;
  }
  return out;
}

/** Rasters one above the other (left-aligned), `gap` pixels apart. */
export function vstack(rasters: Raster[], gap = 8): Raster {
  if (rasters.length === 0) throw new InputError('rasters', 'needs at least one raster');
  const out = new Raster(
    Math.max(...rasters.map((r) => r.width)),
    rasters.reduce((h, r) => h + r.height, 0) + gap * (rasters.length - 1),
  );
  let y = 0;
  for (const r of rasters) {
    out.blit(r, 0, y);
    y += r.height + gap;
  }
  return out;
}
