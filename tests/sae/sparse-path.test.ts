/**
 * The sparse path of ReLU + L1, BatchTopK and JumpReLU (src/sae/sparse-path.ts) against the dense
 * reference path (`useKernels: false`): the same SAE weights give the same loss, every loss term,
 * the same reconstruction and the same gradient for every parameter (W_enc, b_enc, W_dec, b_dec
 * and JumpReLU's threshold through its kernel window), in training and evaluation forwards.
 * Also: the path switches to dense after a wide code and tries the sparse one again every 16th forward.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/random';
import { type SaeConfig, type SparseAutoencoder, createSae } from '../../src/sae';
import { disposeOutput } from '../../src/sae/base';
import { MAX_SPARSE_FRACTION, MIN_SPARSE_WIDTH, RETRY_EVERY } from '../../src/sae/sparse-path';
import { maxAbsDiff, randn } from './helpers';

const D = 12;
const N = 96;
const B = 24;

/** Loss, terms, reconstruction and gradients of one forward. */
async function run(sae: SparseAutoencoder, x: tf.Tensor2D, training: boolean, dead?: Int32Array) {
  let terms: Record<string, number> = {};
  let recon: Float32Array = new Float32Array();
  let kind = '';
  const { loss, grads } = sae.params.gradients(() => {
    const out = sae.forward(x, { training, deadLatents: dead });
    kind = out.latents.kind;
    terms = Object.fromEntries(Object.entries(out.losses).map(([k, v]) => [k, v.dataSync()[0]]));
    recon = out.recon.dataSync() as Float32Array;
    const kept = out.loss;
    disposeOutput({ ...out, loss: tf.scalar(0) });
    return kept;
  });
  const g: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(grads)) g[k] = (await v.data()) as Float32Array;
  const value = (await loss.data())[0];
  tf.dispose([loss, ...Object.values(grads)]);
  return { value, terms, recon, grads: g, kind };
}

/** Relative max difference of two arrays (scaled by the larger max |value|). */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1e-6;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(a[i]), Math.abs(b[i]));
  return maxAbsDiff(a, b) / scale;
}

const configs: [string, SaeConfig, (sae: SparseAutoencoder) => void][] = [
  // b_enc < 0 makes the ReLU code sparse-ish (still wide enough to keep the test honest)
  [
    'relu-l1',
    { architecture: 'relu-l1', dIn: D, nLatents: N, l1Coefficient: 0.3 },
    (s) => s.bEncN.assign(tf.fill([N], -0.8)),
  ],
  ['batch-topk', { architecture: 'batch-topk', dIn: D, nLatents: N, k: 4 }, () => {}],
  [
    'jumprelu (theta)',
    { architecture: 'jumprelu', dIn: D, nLatents: N, bandwidth: 0.4, initialThreshold: 0.6 },
    () => {},
  ],
  [
    'jumprelu (log theta)',
    {
      architecture: 'jumprelu',
      dIn: D,
      nLatents: N,
      bandwidth: 0.4,
      initialThreshold: 0.6,
      thresholdParam: 'log-theta',
    },
    () => {},
  ],
];

describe.each(configs)('%s: sparse path equals the dense reference', (_name, config, prepare) => {
  test.each([true, false])('training = %s: loss, terms, reconstruction and every gradient', async (training) => {
    const rng = new Rng(11);
    const x = tf.tensor2d(randn(rng, B * D, 1.5), [B, D]);
    const fast = createSae({ ...config, seed: 3 });
    const ref = createSae({ ...config, seed: 3, useKernels: false });
    for (const sae of [fast, ref]) {
      prepare(sae);
      sae.bDecD.assign(tf.tensor1d(randn(new Rng(5), D, 0.2)));
    }
    const dead = Int32Array.from({ length: 10 }, (_, i) => 3 * i);
    const before = tf.memory().numTensors;
    const a = await run(fast, x, training, dead);
    const b = await run(ref, x, training, dead);
    expect(tf.memory().numTensors).toBe(before);
    expect(a.kind).toBe('sparse');
    expect(b.kind).toBe('dense');
    expect(Math.abs(a.value - b.value)).toBeLessThan(1e-5 * Math.max(1, Math.abs(b.value)));
    expect(Object.keys(a.terms).sort()).toEqual(Object.keys(b.terms).sort());
    for (const k of Object.keys(b.terms))
      expect(Math.abs(a.terms[k] - b.terms[k])).toBeLessThan(1e-4 * Math.max(1, Math.abs(b.terms[k])));
    expect(relDiff(a.recon, b.recon)).toBeLessThan(1e-5);
    expect(Object.keys(a.grads).sort()).toEqual(Object.keys(b.grads).sort());
    for (const k of Object.keys(b.grads)) {
      const nonzero = b.grads[k].some((v) => v !== 0);
      if (k !== 'b_dec' || training) expect([k, nonzero]).toEqual([k, true]); // the test exercises every gradient
      expect(relDiff(a.grads[k], b.grads[k])).toBeLessThan(1e-4);
    }
    if (config.architecture === 'batch-topk') {
      const [ta, tb] = [fast, ref].map((s) => (s as unknown as { threshold: tf.Tensor }).threshold.dataSync()[0]);
      expect(Math.abs(ta - tb)).toBeLessThan(1e-6);
    }
    tf.dispose(x);
    fast.dispose();
    ref.dispose();
  });
});

test('a code wider than N/16 but at most MIN_SPARSE_WIDTH entries keeps the sparse path (small dictionaries)', () => {
  const sae = createSae({ architecture: 'relu-l1', dIn: D, nLatents: N, seed: 1 });
  const width = 16; // > N/16 = 6, <= MIN_SPARSE_WIDTH
  expect(width).toBeGreaterThan(N * MAX_SPARSE_FRACTION);
  expect(width).toBeLessThanOrEqual(MIN_SPARSE_WIDTH);
  sae.bEncN.assign(tf.tensor1d(Array.from({ length: N }, (_, i) => (i < width ? 5 : -5))));
  const x = tf.tensor2d(randn(new Rng(3), B * D), [B, D]);
  const kinds: string[] = [];
  for (let i = 0; i < 3; i++) {
    const out = sae.forward(x);
    kinds.push(out.latents.kind);
    if (out.latents.kind === 'sparse') expect(out.latents.indicesBK.shape[1]).toBe(width);
    disposeOutput(out);
  }
  expect(kinds).toEqual(['sparse', 'sparse', 'sparse']);
  tf.dispose(x);
  sae.dispose();
});

test('a wide code sends forwards down the dense path; every 16th tries the sparse path again', () => {
  const sae = createSae({ architecture: 'relu-l1', dIn: D, nLatents: N, seed: 1 });
  sae.bEncN.assign(tf.fill([N], 5)); // every latent fires: far wider than N/16
  const x = tf.tensor2d(randn(new Rng(2), B * D), [B, D]);
  const kinds: string[] = [];
  for (let i = 0; i < RETRY_EVERY + 1; i++) {
    const out = sae.forward(x);
    kinds.push(out.latents.kind);
    disposeOutput(out);
  }
  expect(kinds[0]).toBe('sparse');
  expect(kinds.slice(1, RETRY_EVERY).every((k) => k === 'dense')).toBe(true);
  expect(kinds[RETRY_EVERY]).toBe('sparse');
  sae.bEncN.assign(tf.fill([N], -5)); // now nothing fires
  const kinds2: string[] = [];
  for (let i = 0; i < RETRY_EVERY + 1; i++) {
    const out = sae.forward(x);
    kinds2.push(out.latents.kind);
    disposeOutput(out);
  }
  expect(kinds2.slice(RETRY_EVERY - 1)).toEqual(['sparse', 'sparse']); // found sparse again, stays there
  tf.dispose(x);
  sae.dispose();
});
