/**
 * Datasets for the browser panels: the seeded 2-D toy sets of src/vae/toy.ts, and the MNIST
 * subset the site's build writes to /assets/build/data (10,000 training and 1,000 test
 * images as raw uint8, 784 bytes each, from the original IDX files); the shipped character
 * model and the start of its text, from /assets/build/data/char-lm (build step 'charlm').
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../core/random';
import { decodeSafetensors, rawToTensor } from '../../core/safetensors';
import { binarize } from '../../data/idx';
import { CharLm, type CharLmConfig } from '../../data/lm/char-lm';
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
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status} (run npm start once to build the site's data)`);
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

const CHAR_LM_DIR = '/assets/build/data/char-lm';

/** A character model from the bytes of its checkpoint's config.json and model.safetensors. */
export function charLmFromBytes(configBytes: Uint8Array, weights: Uint8Array): CharLm {
  const config = JSON.parse(new TextDecoder().decode(configBytes)) as { model: CharLmConfig };
  const tensors: Record<string, tf.Tensor> = {};
  try {
    for (const [name, raw] of Object.entries(decodeSafetensors(weights).tensors)) tensors[name] = rawToTensor(raw);
    return CharLm.fromTensors(config.model, tensors);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/** The shipped character model, fetched from the site's build (a fresh copy the caller disposes). */
export async function charLmAsset(): Promise<CharLm> {
  const [configBytes, weights] = await Promise.all([
    fetchBytes(`${CHAR_LM_DIR}/config.json`),
    fetchBytes(`${CHAR_LM_DIR}/model.safetensors`),
  ]);
  return charLmFromBytes(configBytes, weights);
}

/** The start of the char model's training or held-out text (CHAR_TEXT_CHARS characters). */
export async function charText(split: 'train' | 'heldOut'): Promise<string> {
  const bytes = await fetchBytes(`${CHAR_LM_DIR}/${split === 'train' ? 'train' : 'held-out'}.txt`);
  return new TextDecoder().decode(bytes);
}
