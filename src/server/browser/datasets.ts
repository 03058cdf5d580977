/**
 * Datasets for the browser panels: the seeded 2-D toy sets of src/vae/toy.ts, and the MNIST
 * subset the site's build writes to /assets/build/data (10,000 training and 1,000 test
 * images as raw uint8, 784 bytes each, from the original IDX files).
 */
import { Rng } from '../../core/random';
import { binarize } from '../../data/idx';
import type { ArrayDataset } from '../../vae/dataset';
import { gaussianRing, twoMoons } from '../../vae/toy';

export const TOY_SETS = ['ring', 'moons'] as const;

/** n points of a named toy set. */
export function toyData(name: string, n: number, rng: Rng): ArrayDataset {
  return name === 'moons' ? twoMoons(n, rng) : gaussianRing(n, rng);
}

const cache = new Map<string, Promise<Uint8Array>>();

async function fetchBytes(url: string): Promise<Uint8Array> {
  let p = cache.get(url);
  if (!p) {
    p = fetch(url).then(async (r) => {
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status} (run npm start once to build the MNIST subset)`);
      return new Uint8Array(await r.arrayBuffer());
    });
    cache.set(url, p);
  }
  return p;
}

/**
 * MNIST from the site's subset, grey levels scaled to [0, 1]. `binarizeSeed` draws each
 * pixel once as Bernoulli(grey level) (for a fixed test set).
 */
export async function mnistSubset(
  split: 'train' | 'test',
  limit?: number,
  binarizeSeed?: number,
): Promise<ArrayDataset> {
  const [images, labels] = await Promise.all([
    fetchBytes(`/assets/build/data/mnist-${split}-images.u8`),
    fetchBytes(`/assets/build/data/mnist-${split}-labels.u8`),
  ]);
  const n = Math.min(labels.length, limit ?? labels.length, Math.floor(images.length / 784));
  const grey = new Float32Array(n * 784);
  for (let i = 0; i < grey.length; i++) grey[i] = images[i] / 255;
  const x = binarizeSeed === undefined ? grey : binarize(grey, new Rng(binarizeSeed));
  return { x, n, dim: 784, labels: labels.slice(0, n) };
}
