/**
 * Image grids (digits, decoder rows as images): pixels, not a chart, so no axes. One layout
 * function gives the RGBA bitmap that the page puts on a canvas and Node writes as a PNG.
 */
import { InputError, checkInt } from '../base/errors';

/** A grid of grey-level images in [0, 1]. */
export interface ImageGrid {
  kind: 'images';
  /** n images of height x width, row-major, one after another. */
  pixels: Float32Array;
  n: number;
  height: number;
  width: number;
  /** Images per row. */
  cols: number;
}

/** The grid of `n` images (h x w each) of `pixels`, `cols` per row; checks the sizes. */
export function imageGrid(
  pixels: ArrayLike<number>,
  n: number,
  height: number,
  width: number,
  cols: number,
): ImageGrid {
  checkInt('n', n, 1);
  checkInt('height', height, 1);
  checkInt('width', width, 1);
  checkInt('cols', cols, 1);
  if (pixels.length < n * height * width)
    throw new InputError('pixels', `must hold n * height * width = ${n * height * width} values, got ${pixels.length}`);
  return {
    kind: 'images',
    pixels: Float32Array.from(pixels as ArrayLike<number>).subarray(0, n * height * width),
    n,
    height,
    width,
    cols,
  };
}

/** Gap between images, in image pixels. */
const GAP = 1;

/**
 * The grid as an RGBA bitmap: black ink on white (1 = black), a grey gap between images,
 * each image pixel repeated `zoom` times. Values outside [0, 1] are shown at the nearest end.
 */
export function imageGridRgba(grid: ImageGrid, zoom = 1): { width: number; height: number; rgba: Uint8ClampedArray } {
  const rows = Math.ceil(grid.n / grid.cols);
  const cols = Math.min(grid.cols, grid.n);
  const cellW = grid.width + GAP;
  const cellH = grid.height + GAP;
  const width = (cols * cellW + GAP) * zoom;
  const height = (rows * cellH + GAP) * zoom;
  const rgba = new Uint8ClampedArray(width * height * 4).fill(200); // the gap colour
  for (let k = 0; k < grid.n; k++) {
    const ox = GAP + (k % grid.cols) * cellW;
    const oy = GAP + Math.floor(k / grid.cols) * cellH;
    for (let y = 0; y < grid.height; y++) {
      for (let x = 0; x < grid.width; x++) {
        const v = grid.pixels[k * grid.height * grid.width + y * grid.width + x];
        const ink = Math.round(255 * (1 - Math.min(1, Math.max(0, v))));
        for (let dy = 0; dy < zoom; dy++) {
          for (let dx = 0; dx < zoom; dx++) {
            const p = (((oy + y) * zoom + dy) * width + (ox + x) * zoom + dx) * 4;
            rgba[p] = ink;
            rgba[p + 1] = ink;
            rgba[p + 2] = ink;
            rgba[p + 3] = 255;
          }
        }
      }
    }
  }
  for (let p = 3; p < rgba.length; p += 4) rgba[p] = 255;
  return { width, height, rgba };
}
