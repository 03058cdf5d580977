/**
 * Small seeded 2-D datasets that a VAE learns in seconds, in the browser or in Node:
 *
 *   gaussianRing  a mixture of `components` Gaussians with std `std`, centred on a circle of
 *                 radius `radius` (the "8 Gaussians" benchmark of generative-model papers)
 *   twoMoons      two interleaved half circles (scikit-learn's make_moons) plus Gaussian noise
 *
 * Both return rows of a flat Float32Array [n, 2] and the component of each row as its label.
 */
import { type Rng, checkInt, checkNumber } from '../core';
import type { ArrayDataset } from './dataset';

/**
 * n points from an equal-weight ring of Gaussians.
 * @param n rows  @param rng the seeded source  @returns [n, 2] with the component as label
 */
export function gaussianRing(
  n: number,
  rng: Rng,
  { components = 8, radius = 2, std = 0.15 }: { components?: number; radius?: number; std?: number } = {},
): ArrayDataset {
  checkInt('n', n, 1);
  checkInt('components', components, 1);
  checkNumber('radius', radius, { min: 0 });
  checkNumber('std', std, { min: 0 });
  const x = new Float32Array(2 * n);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = rng.int(components);
    const angle = (2 * Math.PI * c) / components;
    x[2 * i] = radius * Math.cos(angle) + std * rng.normal();
    x[2 * i + 1] = radius * Math.sin(angle) + std * rng.normal();
    labels[i] = c;
  }
  return { x, n, dim: 2, labels };
}

/**
 * n points from two interleaved half circles (upper: label 0, lower: label 1), centred
 * and scaled to roughly unit spread.
 * @returns [n, 2]
 */
export function twoMoons(n: number, rng: Rng, { noise = 0.08 }: { noise?: number } = {}): ArrayDataset {
  checkInt('n', n, 1);
  checkNumber('noise', noise, { min: 0 });
  const x = new Float32Array(2 * n);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const moon = rng.int(2);
    const t = Math.PI * rng.uniform();
    const px = moon === 0 ? Math.cos(t) : 1 - Math.cos(t);
    const py = moon === 0 ? Math.sin(t) : 0.5 - Math.sin(t);
    x[2 * i] = (px - 0.5 + noise * rng.normal()) * 1.5;
    x[2 * i + 1] = (py - 0.25 + noise * rng.normal()) * 1.5;
    labels[i] = moon;
  }
  return { x, n, dim: 2, labels };
}
