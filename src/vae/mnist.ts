/**
 * MNIST as a VAE dataset (Node only: reads the IDX files through the data area's `loadMnist`).
 * Images are flattened to D = 784 values in [0, 1]; `binarize: 'stochastic'` with a fixed seed
 * gives a fixed binarised test set, and the trainer's `binarize: 'dynamic'` resamples the
 * training images every batch (Burda et al. 2015's protocol).
 */
import { loadMnist, type MnistSplit } from '../data/mnist';
import type { BinarizeMode } from '../data/idx';
import type { ArrayDataset } from './dataset';

/** MNIST digits as an ArrayDataset [n, 784] with digit labels. */
export function mnistDataset(opts: {
  split: MnistSplit;
  limit?: number;
  binarize?: BinarizeMode;
  seed?: number;
}): ArrayDataset {
  const set = loadMnist({
    split: opts.split,
    limit: opts.limit,
    binarize: opts.binarize ?? 'none',
    seed: opts.seed ?? 0,
  });
  return { x: set.images, n: set.count, dim: set.height * set.width, labels: set.labels };
}
