import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import {
  Raster,
  barChart,
  encodePng,
  formatTick,
  hstack,
  histogram,
  imageGrid,
  lineChart,
  niceTicks,
  scatter,
  textWidth,
  writePng,
} from '../../src/analysis/node';

const decode = (bytes: Buffer) => PNG.sync.read(bytes);
const pixel = (png: PNG, x: number, y: number) =>
  Array.from(png.data.subarray(4 * (y * png.width + x), 4 * (y * png.width + x) + 4));

describe('PNG plots', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gensparse-png-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('writes a valid PNG of the raster size with the pixels drawn', () => {
    const r = new Raster(30, 20);
    r.fillRect(5, 5, 4, 3, [255, 0, 0]);
    const file = writePng(path.join(dir, 'sub', 'r.png'), r);
    const bytes = fs.readFileSync(file);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]); // PNG signature
    const png = decode(bytes);
    expect([png.width, png.height]).toEqual([30, 20]);
    expect(pixel(png, 6, 6)).toEqual([255, 0, 0, 255]);
    expect(pixel(png, 0, 0)).toEqual([255, 255, 255, 255]);
  });

  test('an image grid has one cell per image at the requested scale, ink dark on light', () => {
    const h = 4,
      w = 3,
      count = 6;
    const images = new Float32Array(count * h * w).fill(0);
    images[0] = 1; // top-left pixel of the first image
    const png = decode(encodePng(imageGrid(images, { count, height: h, width: w, cols: 3, scale: 2, pad: 1 })));
    expect(png.width).toBe(3 * (w * 2 + 1) + 1);
    expect(png.height).toBe(2 * (h * 2 + 1) + 1);
    expect(pixel(png, 1, 1)).toEqual([0, 0, 0, 255]); // value 1 -> black
    expect(pixel(png, 3, 1)).toEqual([255, 255, 255, 255]); // value 0 -> white
    expect(() => imageGrid(images, { count: 7, height: h, width: w })).toThrow(/^images: has 72 values, need/);
  });

  test('charts draw at the requested size and put coloured data pixels inside', () => {
    const x = [0, 1, 2, 3, 4];
    const chart = lineChart({
      series: [{ name: 'a', x, y: x.map((v) => v * v), color: [200, 0, 0] }],
      title: 'T',
      xLabel: 'x',
      yLabel: 'y',
      width: 300,
      height: 200,
    });
    const png = decode(encodePng(chart));
    expect([png.width, png.height]).toEqual([300, 200]);
    let red = 0;
    for (let i = 0; i < png.data.length; i += 4) if (png.data[i] === 200 && png.data[i + 1] === 0) red++;
    expect(red).toBeGreaterThan(100);
    const logChart = lineChart({
      series: [{ name: 'a', x, y: [1, 10, 100, 1000, 1e4] }],
      logY: true,
      width: 300,
      height: 200,
    });
    expect(logChart.width).toBe(300);
    expect(
      histogram({ series: [{ name: 'h', values: [1, 2, 2, 3, 3, 3] }], bins: 3, width: 320, height: 240 }).height,
    ).toBe(240);
    expect(scatter({ x: [0, 1, 2], y: [2, 1, 0], labels: [0, 1, 2], width: 200, height: 200 }).width).toBe(200);
    expect(barChart({ values: [1, 2, 0.5], width: 250, height: 150 }).height).toBe(150);
    expect(hstack([new Raster(10, 5), new Raster(20, 8)], 4).width).toBe(34);
    expect(() => lineChart({ series: [{ name: 'a', x: [0, 1], y: [1] }] })).toThrow(
      /^series\[0\]: x has 2 values, y 1/,
    );
    expect(() => scatter({ x: [0, 1], y: [0] })).toThrow(/^y:/);
  });

  test('text and ticks: width per character, nice 1-2-5 steps, short labels', () => {
    expect(textWidth('abc')).toBe(17);
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(93, 187, 5)).toEqual([100, 120, 140, 160, 180]);
    expect(formatTick(0.6000000000000001)).toBe('0.6');
    expect(formatTick(250000)).toBe('3e5');
    const r = new Raster(40, 12);
    r.text(1, 1, 'Hi');
    const dark = Array.from({ length: r.width * r.height }, (_, i) => r.data[4 * i]).filter((v) => v === 0).length;
    expect(dark).toBeGreaterThan(10);
  });
});
