/**
 * Charts to PNG files in Node: the same Chart.js configuration as the page, drawn on a Skia
 * canvas (`@napi-rs/canvas`) with the system's fonts (DejaVu Sans on Debian).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GlobalFonts, createCanvas } from '@napi-rs/canvas';
import { PNG } from 'pngjs';
import { Chart, registerables } from 'chart.js';
import { checkInt } from '../base/errors';
import { toChartJsConfig } from './chartjs';
import type { ChartSpec } from './spec';
import { type ImageGrid, imageGridRgba } from './images';

let ready = false;
function setUp(): void {
  if (ready) return;
  Chart.register(...registerables);
  // Text needs a font: prefer DejaVu Sans (Debian's fonts-dejavu-core, a dependency of chromium).
  const dejavu = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
  if (fs.existsSync(dejavu)) GlobalFonts.registerFromPath(dejavu, 'DejaVu Sans');
  Chart.defaults.font.family = "'DejaVu Sans', 'Liberation Sans', Arial, sans-serif";
  Chart.defaults.color = '#1f2937';
  ready = true;
}

/** Options of `renderChartPng`. */
export interface PngOptions {
  /** CSS pixels. Default 720 x 420. */
  width?: number;
  height?: number;
  /** Pixel ratio (2 = sharp on high-density screens). Default 2. */
  scale?: number;
}

/** Draws `spec` and returns the PNG bytes. */
export function chartPngBuffer(spec: ChartSpec, options: PngOptions = {}): Buffer {
  setUp();
  const width = checkInt('width', options.width ?? 720, 100, 4096);
  const height = checkInt('height', options.height ?? 420, 100, 4096);
  const scale = checkInt('scale', options.scale ?? 2, 1, 4);
  // Chart.js reads the canvas size as CSS pixels and resizes it by the pixel ratio itself.
  const canvas = createCanvas(width, height);
  const config = toChartJsConfig(spec);
  config.options = { ...config.options, devicePixelRatio: scale };
  // A white background (PNG viewers show transparency as black or a checkerboard).
  config.plugins = [
    {
      id: 'white-background',
      beforeDraw: (chart) => {
        const c = chart.ctx;
        c.save();
        c.fillStyle = '#ffffff';
        c.fillRect(0, 0, chart.width, chart.height);
        c.restore();
      },
    },
  ];
  const chart = new Chart(canvas.getContext('2d') as unknown as CanvasRenderingContext2D, config);
  try {
    return canvas.toBuffer('image/png');
  } finally {
    chart.destroy();
  }
}

/** Writes `spec` as a PNG file (folders created) and returns the path. */
export function writeChartPng(file: string, spec: ChartSpec, options: PngOptions = {}): string {
  const png = chartPngBuffer(spec, options);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, png);
  return file;
}

/** Writes an image grid (digits: pixels, not a chart) as a PNG file, each pixel `zoom` times; returns the path. */
export function writeImageGridPng(file: string, grid: ImageGrid, zoom = 3): string {
  checkInt('zoom', zoom, 1, 16);
  const { width, height, rgba } = imageGridRgba(grid, zoom);
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, PNG.sync.write(png));
  return file;
}
